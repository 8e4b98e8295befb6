// PLACEHOLDER written by hand from the agreed shape, until ts-rs generates this file from the Rust types (it will be overwritten).
export type Role = 'cashier' | 'supervisor' | 'finance' | 'admin';
