// PLACEHOLDER written by hand from the agreed shape, until ts-rs generates this file from the Rust types (it will be overwritten).
import type { Notice } from "./Notice";
import type { UserInfo } from "./UserInfo";
export type LoginResult = { token: string; user: UserInfo; notices: Array<Notice> };
