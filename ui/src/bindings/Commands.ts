// Generated from src/desk/commands.rs by `UPDATE_BINDINGS=1 cargo test --lib bindings`. Do not edit.
import type { AccountHit } from "./AccountHit";
import type { AccountRequest } from "./AccountRequest";
import type { AccountView } from "./AccountView";
import type { AppInfo } from "./AppInfo";
import type { LoginRequest } from "./LoginRequest";
import type { LoginResult } from "./LoginResult";
import type { SearchRequest } from "./SearchRequest";
import type { TokenRequest } from "./TokenRequest";

/** Every backend command: its request and its result. */
export type Commands = {
  app_info: { req: Record<string, never>; res: AppInfo };
  login: { req: LoginRequest; res: LoginResult };
  logout: { req: TokenRequest; res: null };
  search_accounts: { req: SearchRequest; res: Array<AccountHit> };
  account_view: { req: AccountRequest; res: AccountView };
};
