// PLACEHOLDER written by hand from the agreed shape, until ts-rs generates this file from the Rust types (it will be overwritten).
import type { BillingMode } from "./BillingMode";
import type { Category } from "./Category";
import type { RiskMark } from "./RiskMark";
export type AccountDetail = { account_no: string; name: string; address: string; category: Category; billing_mode: BillingMode; meter_no: string; multiplier: string; prepaid_balance: string; risk: RiskMark | null; closed: boolean; phone_masked: string | null };
