// PLACEHOLDER written by hand from the agreed shape, until ts-rs generates this file from the Rust types (it will be overwritten).
export type ErrorBody = { code: string; message: string; params: Record<string, string> };
