// PLACEHOLDER written by hand from the agreed shape, until ts-rs generates this file from the Rust types (it will be overwritten).
import type { Role } from "./Role";
export type UserInfo = { username: string; display_name: string; role: Role };
