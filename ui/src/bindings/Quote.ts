// PLACEHOLDER written by hand from the agreed shape, until ts-rs generates this file from the Rust types (it will be overwritten).
import type { QuoteLine } from "./QuoteLine";
export type Quote = { account_no: string; on: string; bills: Array<QuoteLine>; principal_total: string; late_fee_total: string; total: string; total_words: string };
