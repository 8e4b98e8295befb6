// PLACEHOLDER written by hand from the agreed shape, until ts-rs generates this file from the Rust types (it will be overwritten).
import type { BillStatus } from "./BillStatus";
export type QuoteLine = { period: string; kwh: string; amount: string; paid: string; principal: string; due_date: string; days_overdue: number; late_fee: string; status: BillStatus };
