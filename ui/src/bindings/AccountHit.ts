// PLACEHOLDER written by hand from the agreed shape, until ts-rs generates this file from the Rust types (it will be overwritten).
import type { BillingMode } from "./BillingMode";
import type { Category } from "./Category";
import type { RiskMark } from "./RiskMark";
export type AccountHit = { account_no: string; name: string; address: string; meter_no: string; category: Category; billing_mode: BillingMode; risk: RiskMark | null; closed: boolean };
