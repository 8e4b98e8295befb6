// PLACEHOLDER written by hand from the agreed shape, until ts-rs generates this file from the Rust types (it will be overwritten).
import type { AccountDetail } from "./AccountDetail";
import type { Quote } from "./Quote";
export type AccountView = { account: AccountDetail; quote: Quote };
