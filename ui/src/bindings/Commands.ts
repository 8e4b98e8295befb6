// Generated from src/desk/commands.rs by `UPDATE_BINDINGS=1 cargo test --lib bindings`. Do not edit.
import type { AccountHit } from "./AccountHit";
import type { AccountRequest } from "./AccountRequest";
import type { AccountView } from "./AccountView";
import type { AppInfo } from "./AppInfo";
import type { CloseOutcome } from "./CloseOutcome";
import type { CloseShiftRequest } from "./CloseShiftRequest";
import type { CollectRequest } from "./CollectRequest";
import type { DepositDone } from "./DepositDone";
import type { DepositRequest } from "./DepositRequest";
import type { DocumentPdf } from "./DocumentPdf";
import type { LoginRequest } from "./LoginRequest";
import type { LoginResult } from "./LoginResult";
import type { OpenShiftRequest } from "./OpenShiftRequest";
import type { PaymentDone } from "./PaymentDone";
import type { PrintSettings } from "./PrintSettings";
import type { Printed } from "./Printed";
import type { ReceiptPdf } from "./ReceiptPdf";
import type { ReceiptRequest } from "./ReceiptRequest";
import type { SearchRequest } from "./SearchRequest";
import type { SetPrintSettingsRequest } from "./SetPrintSettingsRequest";
import type { ShiftInfo } from "./ShiftInfo";
import type { ShiftReportRequest } from "./ShiftReportRequest";
import type { TokenRequest } from "./TokenRequest";
import type { VendRequest } from "./VendRequest";
import type { VoidDone } from "./VoidDone";
import type { VoidRequest } from "./VoidRequest";

/** Every backend command: its request and its result. */
export type Commands = {
  app_info: { req: Record<string, never>; res: AppInfo };
  login: { req: LoginRequest; res: LoginResult };
  logout: { req: TokenRequest; res: null };
  search_accounts: { req: SearchRequest; res: Array<AccountHit> };
  account_view: { req: AccountRequest; res: AccountView };
  current_shift: { req: TokenRequest; res: ShiftInfo | null };
  open_shift: { req: OpenShiftRequest; res: ShiftInfo };
  collect: { req: CollectRequest; res: PaymentDone };
  vend: { req: VendRequest; res: PaymentDone };
  void_payment: { req: VoidRequest; res: VoidDone };
  deposit: { req: DepositRequest; res: DepositDone };
  close_shift: { req: CloseShiftRequest; res: CloseOutcome };
  print_settings: { req: TokenRequest; res: PrintSettings };
  set_print_settings: { req: SetPrintSettingsRequest; res: PrintSettings };
  receipt_pdf: { req: ReceiptRequest; res: ReceiptPdf };
  print_receipt: { req: ReceiptRequest; res: Printed };
  shift_report: { req: ShiftReportRequest; res: DocumentPdf };
};
