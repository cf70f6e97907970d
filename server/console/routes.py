"""The console's route table: every page with the role it needs.

The auth-matrix test walks this very table (anonymous, operator, admin on
every route), so a new page cannot be added without its rule being tested.
Operators handle members, households and shops; admins also keys, money and the audit
log; the treasurer is an admin who may also read declared incomes.
"""

from __future__ import annotations

from server.console.auth.sessions import ADMIN, OPERATOR, TREASURER
from server.console.call import Page
from server.console.views import accounts as views_accounts
from server.console.views import audit as views_audit
from server.console.views import auth as views_auth
from server.console.views import batches as views_batches
from server.console.views import contributions as views_contributions
from server.console.views import dashboard as views_dashboard
from server.console.views import households as views_households
from server.console.views import keys as views_keys
from server.console.views import members as views_members
from server.console.views import money as views_money
from server.console.views import paper as views_paper
from server.console.views import planning as views_planning
from server.console.views import proposals as views_proposals
from server.console.views import report as views_report
from server.console.views import settings as views_settings
from server.console.views import shops as views_shops
from server.console.views import tills as views_tills

M = "/members/{member_id}"
A = "/accounts/{email}"
S = "/shops/{merchant_id}"
P = "/proposals/{proposal_id}"
H = "/households/{household_id}"
_hh, _co = views_households, views_contributions
PS = "/paper/sheets/{sheet_id}"

PAGES: tuple[Page, ...] = (
    Page("/login", "login", views_auth.login_form, None),
    Page("/login", "login_post", views_auth.login, None, "POST"),
    Page("/logout", "logout", views_auth.logout, OPERATOR, "POST"),
    Page("/", "dashboard", views_dashboard.dashboard, OPERATOR),
    # members
    Page("/members", "members", views_members.member_list, OPERATOR),
    Page("/members/export.csv", "member_export", views_members.member_export, OPERATOR),
    Page("/members/new", "member_new", views_members.member_new, OPERATOR),
    Page("/members/new", "member_create", views_members.member_create, OPERATOR, "POST"),
    Page("/members/import", "member_import", views_members.member_import_form, OPERATOR),
    Page(
        "/members/import",
        "member_import_preview",
        views_members.member_import_preview,
        OPERATOR,
        "POST",
    ),
    Page(
        "/members/import/confirm",
        "member_import_confirm",
        views_members.member_import_confirm,
        OPERATOR,
        "POST",
    ),
    Page(M, "member", views_members.member_detail, OPERATOR),
    Page(M + "/edit", "member_edit", views_members.member_edit, OPERATOR),
    Page(M + "/edit", "member_update", views_members.member_update, OPERATOR, "POST"),
    Page(M + "/code", "member_code", views_members.member_code, OPERATOR, "POST"),
    Page(M + "/shown", "member_shown", views_members.member_shown, OPERATOR, "POST"),
    Page(M + "/reenrol", "member_reenrol_confirm", views_members.member_reenrol_confirm, OPERATOR),
    Page(M + "/reenrol", "member_reenrol", views_members.member_reenrol, OPERATOR, "POST"),
    Page(M + "/revoke", "member_revoke_confirm", views_members.member_revoke_confirm, OPERATOR),
    Page(M + "/revoke", "member_revoke", views_members.member_revoke, OPERATOR, "POST"),
    Page(M + "/payments", "member_payments", views_members.member_payments, ADMIN),
    # paper vouchers and activation letters (docs/vouchers.md)
    Page(M + "/paper", "member_paper", views_paper.member_paper, OPERATOR),
    Page(M + "/channel", "member_channel", views_paper.member_channel, OPERATOR, "POST"),
    Page("/paper", "paper", views_paper.paper, OPERATOR),
    Page("/paper/print", "paper_print", views_paper.paper_print, OPERATOR, "POST"),
    Page(PS + "/void", "sheet_void_confirm", views_paper.sheet_void_confirm, OPERATOR),
    Page(PS + "/void", "sheet_void", views_paper.sheet_void, OPERATOR, "POST"),
    Page("/letters", "letters", views_paper.letters_page, OPERATOR),
    Page("/letters", "letters_print", views_paper.letters_print, OPERATOR, "POST"),
    # shops and their batches
    Page("/shops", "shops", views_shops.shop_list, OPERATOR),
    Page("/shops/new", "shop_new", views_shops.shop_new, OPERATOR),
    Page("/shops/new", "shop_create", views_shops.shop_create, OPERATOR, "POST"),
    Page(S, "shop", views_shops.shop_detail, OPERATOR),
    Page(S + "/edit", "shop_edit", views_shops.shop_edit, OPERATOR),
    Page(S + "/edit", "shop_update", views_shops.shop_update, OPERATOR, "POST"),
    Page(S + "/code", "shop_code", views_shops.shop_code, OPERATOR, "POST"),
    Page(S + "/shown", "shop_shown", views_shops.shop_shown, OPERATOR, "POST"),
    Page(S + "/suspend", "shop_suspend", views_shops.shop_suspend, OPERATOR, "POST"),
    Page(S + "/resume", "shop_resume", views_shops.shop_resume, OPERATOR, "POST"),
    Page(S + "/tills/revoke", "till_revoke_confirm", views_tills.revoke_confirm, OPERATOR),
    Page(S + "/tills/revoke", "till_revoke", views_tills.revoke, OPERATOR, "POST"),
    Page(S + "/payouts", "shop_payouts", views_money.shop_payouts, ADMIN),
    Page("/batches", "batches", views_batches.batch_list, OPERATOR),
    # votes: proposals, screening, assembly counts, proxies, the close (operators);
    # the auditor's recount from the stored ballots (admins)
    Page("/proposals", "proposals", views_proposals.proposal_list, OPERATOR),
    Page("/proposals/new", "proposal_new", views_proposals.proposal_new, OPERATOR),
    Page("/proposals/new", "proposal_create", views_proposals.proposal_create, OPERATOR, "POST"),
    Page(P, "proposal", views_proposals.proposal_detail, OPERATOR),
    Page(P + "/screen", "proposal_screen", views_proposals.proposal_screen, OPERATOR, "POST"),
    Page(P + "/assembly", "proposal_assembly", views_proposals.proposal_assembly, OPERATOR, "POST"),
    Page(P + "/proxy", "proposal_proxy", views_proposals.proposal_proxy, OPERATOR, "POST"),
    Page(P + "/close", "proposal_close", views_proposals.proposal_close, OPERATOR, "POST"),
    Page(P + "/recount", "proposal_recount", views_proposals.proposal_recount, ADMIN),
    Page("/batches/{merchant_id}/{batch_id}", "batch", views_batches.batch_detail, ADMIN),
    # money: reconciliation, findings, settlements (admins)
    Page("/reconciliation", "reconciliation", views_money.reconciliation, ADMIN),
    Page("/reconciliation/run", "reconcile_run", views_money.run, ADMIN, "POST"),
    Page("/findings/{finding_id}", "finding", views_money.finding, ADMIN),
    Page("/findings/{finding_id}", "finding_decide", views_money.decide, ADMIN, "POST"),
    Page("/settlements/{settlement_id}", "settlement", views_money.settlement, ADMIN),
    Page("/settlements/{settlement_id}/sepa.xml", "settlement_sepa", views_money.sepa, ADMIN),
    Page(
        "/settlements/{settlement_id}/statements/{merchant_id}",
        "statement",
        views_money.statement,
        ADMIN,
    ),
    Page("/report", "report", views_report.report, ADMIN),
    # households and contributions (operators: volunteers; admins: the money; treasurer)
    Page("/households", "households", _hh.household_list, OPERATOR),
    Page("/households/new", "household_new", _hh.household_new, OPERATOR),
    Page("/households/new", "household_create", _hh.household_create, OPERATOR, "POST"),
    Page(H, "household", _hh.household_detail, OPERATOR),
    Page(H + "/edit", "household_edit", _hh.household_edit, OPERATOR, "POST"),
    Page(
        H + "/contribution", "household_contribution", _hh.household_contribution, OPERATOR, "POST"
    ),
    Page(H + "/cash", "household_cash_form", _hh.cash_form, OPERATOR),
    Page(H + "/cash", "household_cash", _hh.cash_record, OPERATOR, "POST"),
    Page(H + "/letter", "household_letter", _hh.transfer_letter, OPERATOR),
    Page(H + "/mandate", "household_mandate", _hh.mandate_form, OPERATOR),
    Page(H + "/income", "household_income", _hh.household_income, TREASURER),
    Page("/contributions", "contributions", _co.overview, ADMIN),
    Page("/contributions/import", "contribution_import", _co.import_statement, ADMIN, "POST"),
    Page("/contributions/review", "contribution_review", _co.review, OPERATOR),
    Page(
        "/contributions/review/{entry_key}",
        "contribution_decide",
        _co.review_decide,
        OPERATOR,
        "POST",
    ),
    Page("/books", "books", _co.books_view, ADMIN),
    Page("/books/{period}.csv", "books_csv", _co.books_csv, ADMIN),
    Page("/books/{period}.beancount", "books_beancount", _co.books_beancount, ADMIN),
    Page("/books/subsidy", "subsidy_add", _co.subsidy_add, ADMIN, "POST"),
    # planning: the runway and scenarios for a council (admins)
    Page("/planning", "planning", views_planning.planning, ADMIN),
    Page(
        "/planning/simulate", "planning_simulate", views_planning.simulate_scenario, ADMIN, "POST"
    ),
    Page("/planning/report", "planning_report", views_planning.report, ADMIN, "POST"),
    # keys and trust list (admins)
    Page("/keys", "keys", views_keys.keys_view, ADMIN),
    Page("/keys/rotate", "keys_rotate_confirm", views_keys.rotate_confirm, ADMIN),
    Page("/keys/rotate", "keys_rotate", views_keys.rotate, ADMIN, "POST"),
    Page("/trust-list/sign", "trust_list_sign", views_keys.sign_trust_list, ADMIN, "POST"),
    # console accounts and the audit log (admins)
    Page("/accounts", "accounts", views_accounts.account_list, ADMIN),
    Page("/accounts/new", "account_new", views_accounts.account_new, ADMIN),
    Page("/accounts/new", "account_create", views_accounts.account_create, ADMIN, "POST"),
    Page(A + "/disable", "account_disable", views_accounts.account_disable, ADMIN, "POST"),
    Page(A + "/enable", "account_enable", views_accounts.account_enable, ADMIN, "POST"),
    Page(A + "/password", "account_password_form", views_accounts.account_password_form, ADMIN),
    Page(A + "/password", "account_password", views_accounts.account_password, ADMIN, "POST"),
    Page("/audit", "audit", views_audit.audit_view, ADMIN),
    # the caisse's settings (admins); its logo, printed on letters by operators too
    Page("/settings", "settings", views_settings.settings_form, ADMIN),
    Page("/settings", "settings_save", views_settings.settings_save, ADMIN, "POST"),
    Page("/settings/logo.png", "logo", views_settings.logo, OPERATOR),
)
