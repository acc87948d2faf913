"""What a demo desk's agents have written besides tickets: knowledge-base articles, shared
canned responses and macros, about the demo's own categories (``demo_content``).

Plain data and one function, :func:`add_library`, that writes what the desk does not hold
yet through the desk's own writers (``kb_import``, ``canned_save``, ``macro_save``): an
article is known by its slug, a canned response or a macro by its name, so a second
``helpdesk demo`` adds nothing here, and an article an admin edited stays as they left it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from helpdesk_tui.desk.canned_reads import MacroSpec
from helpdesk_tui.desk.kb import slugify
from helpdesk_tui.desk.kb_reads import ArticleData

if TYPE_CHECKING:
    from helpdesk_tui.desk.facade import Desk


@dataclass(frozen=True)
class DemoArticle:
    title: str
    category: str
    tags: tuple[str, ...]
    author: str
    body: str
    visibility: str = "public"
    status: str = "published"


@dataclass(frozen=True)
class LibraryAdded:
    """What one run added (0 each on a desk that holds them all already)."""

    articles: int = 0
    canned: int = 0
    macros: int = 0


ARTICLES: tuple[DemoArticle, ...] = (
    DemoArticle(
        "VPN keeps disconnecting",
        "VPN",
        ("vpn", "remote-work"),
        "priya.net",
        """If the VPN connects and then drops every few minutes:

1. Check your own internet first: open a website with the VPN off. If that is slow too,
   restart your router.
2. Switch from Wi-Fi to a cable if you can; a weak signal drops the tunnel first.
3. In the VPN client choose **Settings → Protocol → TCP** instead of *Automatic*.
4. Update the VPN client: **Help → Check for updates**, then restart the laptop.
5. Still dropping? Reply to your ticket with the time it dropped and your location, so we
   can find the session in the gateway logs.
""",
    ),
    DemoArticle(
        "Connect to the VPN from home",
        "VPN",
        ("vpn", "remote-work"),
        "marco.net",
        """1. Connect to your home network first and check that websites open.
2. Start the VPN client and pick the gateway nearest to you (London, Berlin, Austin or
   Toronto).
3. Sign in with your usual account and approve the MFA prompt on your phone.
4. When it shows **Connected**, open the intranet to check.

"Gateway cannot be reached": your network may block VPN traffic (hotels, some public
Wi-Fi). Try a phone hotspot. "Certificate required": see *VPN asks for a certificate*.
""",
    ),
    DemoArticle(
        "VPN asks for a certificate",
        "VPN",
        ("vpn",),
        "marco.net",
        """The laptop's device certificate is renewed every year. When it has run out the VPN
client asks for one.

1. Connect to the office network (or a colleague's laptop hotspot in the office).
2. Open **Company Portal → Devices → this laptop → Check status**; it fetches a new
   certificate within ten minutes.
3. Restart the VPN client.

Working abroad with no office nearby? Call the Service Desk: we can issue a temporary
certificate over the phone.
""",
    ),
    DemoArticle(
        "VPN gateway runbook: slow sessions from a site",
        "VPN",
        ("vpn", "network"),
        "marco.net",
        """For Network agents. Many slow VPN tickets from one site usually means its uplink,
not the VPN.

1. Check the site's uplink graph in the monitoring dashboard (last 24 h).
2. `show vpn-sessions site <name>`: more than 80 sessions on one gateway? Move the site to
   the second gateway in the client profile.
3. Check for a running backup job saturating the link (Mondays at the warehouse).
4. Link the tickets to one problem ticket and post a status note on the intranet.
""",
        visibility="internal",
    ),
    DemoArticle(
        "Guest Wi-Fi for visitors",
        "Wi-Fi",
        ("wifi", "network"),
        "priya.net",
        """Visitors use the **Guest** network; it is separate from the company network.

1. Reception prints a voucher for each visitor (valid for one day), or
2. for a group or an event, ask us at least one working day ahead for a shared code
   (tell us the site, date and number of guests).

Guests cannot reach printers or internal sites; that is on purpose.
""",
    ),
    DemoArticle(
        "No Wi-Fi in a meeting room",
        "Wi-Fi",
        ("wifi", "network"),
        "priya.net",
        """1. Forget the network on your device and connect again to **Corp**.
2. Try a room nearby: if it works there, the room's access point may be down.
3. Report it with the room number and the time; we can usually restart the access point
   remotely within the hour.
""",
    ),
    DemoArticle(
        "Outlook keeps asking for your password",
        "Email",
        ("email", "outlook"),
        "omar.sd",
        """Usually the saved sign-in expired after a password change.

1. Close Outlook.
2. Open **Credential Manager → Windows Credentials**, remove every entry that starts
   with *MicrosoftOffice*.
3. Start Outlook and sign in once with your new password.
4. Still asking? Sign out of every Office app (**File → Account → Sign out**), restart,
   and sign in again.
""",
    ),
    DemoArticle(
        "Report a phishing email",
        "Email",
        ("email", "phishing"),
        "lena.sd",
        """Got an unexpected invoice, a password warning or a link that looks odd?

1. Do not click links or open attachments.
2. Press **Report message → Phishing** in Outlook (or forward it as an attachment to
   support@helpdesk.example).
3. Delete it.

Clicked already? Change your password now and call the Service Desk: the sooner we know,
the less harm it does.
""",
    ),
    DemoArticle(
        "Open a shared mailbox in Outlook",
        "Email",
        ("email", "outlook", "access"),
        "omar.sd",
        """Once access is granted, the shared mailbox appears in Outlook by itself within an
hour. If it does not:

1. **File → Account settings → Account settings → Change → More settings → Advanced**.
2. Add the mailbox's address under *Open these additional mailboxes*.
3. Restart Outlook.
""",
    ),
    DemoArticle(
        "Reset your password",
        "Accounts & Access",
        ("access", "password-reset"),
        "dana.sd",
        """1. Go to the self-service page on the intranet (**Account → Forgot password**).
2. Confirm with the code sent to your phone.
3. Choose a new password: at least 14 characters; a short sentence works well.
4. Sign out and in again on your laptop and phone so they pick up the new one.

Locked out after too many tries? The lock lifts by itself after 30 minutes, or call the
Service Desk and we unlock it while you wait.
""",
    ),
    DemoArticle(
        "Set up MFA on a new phone",
        "Accounts & Access",
        ("mfa", "access"),
        "tom.sd",
        """Move the authenticator before you wipe the old phone, if you still have it:

1. On a laptop, open **My account → Security info → Add method → Authenticator app**.
2. Scan the QR code with the app on the new phone and approve the test prompt.
3. Delete the old phone from the list.

Old phone lost or wiped? Call the Service Desk; after we check who you are we issue a
one-time code so you can add the new phone.
""",
    ),
    DemoArticle(
        "New starter checklist",
        "Accounts & Access",
        ("access",),
        "dana.sd",
        """For Service Desk agents, when a manager asks for a new starter's account:

1. Ticket must name the start date, site, team and manager; ask for what is missing.
2. Create the account three working days before the start date, licence group by team.
3. Order the laptop (standard model) if there is none in stock at the site.
4. Add the person to the team's shared mailbox and workspace.
5. Send the manager the first-day sheet; keep the ticket waiting until the start date.
""",
        visibility="internal",
    ),
    DemoArticle(
        "SAP closes when exporting a report",
        "ERP",
        ("sap", "bug"),
        "kenji.app",
        """Known problem with large exports in the desktop client.

1. Export in parts: narrow the report to one month or one cost centre.
2. Or use the web client (**Reports → Export → CSV**), which does not crash.

Agents: collect the user's client version and the report name, and add them to the
problem ticket; the vendor fix is planned for the next release.
""",
        visibility="internal",
    ),
    DemoArticle(
        "Month-end batch job failed",
        "ERP",
        ("sap", "finance"),
        "kenji.app",
        """Draft runbook, to be checked with Finance.

1. Look up the job in the job monitor; note the step and the error text.
2. A lock error: wait ten minutes and restart the step (finance users may still be posting).
3. Any other error: call the on-call Applications agent; tell Finance when it runs again.
""",
        visibility="internal",
        status="draft",
    ),
    DemoArticle(
        "Request a software licence",
        "Licences",
        ("license", "purchase"),
        "sofia.app",
        """Licences for Slack, Zoom, Jira, Confluence and Salesforce are ordered through the
Service Desk.

1. Open a ticket saying who needs it, which product and edition, and the cost centre.
2. Your manager approves by replying to the ticket.
3. We assign the licence the same day when one is free, or order one (up to five days).

A licence that shows as expired is usually one we moved; reply to your ticket and we
assign it again.
""",
    ),
    DemoArticle(
        "Slack or Zoom says your licence expired",
        "Licences",
        ("license",),
        "grace.app",
        """1. Sign out of the app and sign in again with your company account (not a personal
   one).
2. Still expired? Open a ticket; we check the licence pool and reassign it, usually within
   the hour.
""",
    ),
    DemoArticle(
        "Update the team page on the website",
        "Website",
        ("website",),
        "grace.app",
        """Each team's page can be edited by its page owner.

1. Sign in to the website editor with your company account.
2. **Pages → Team → your team → Edit**; photos must be at least 800 px wide.
3. **Submit for review**: Marketing publishes within two working days.

Not the page owner? Ask your manager, or open a ticket and we add you.
""",
    ),
    DemoArticle(
        "Website contact form errors",
        "Website",
        ("website", "bug"),
        "kenji.app",
        """Draft. Checks when customers report that the contact form fails:

1. Send a test message from a private window.
2. Check the form service's status page and its sending quota.
3. If the quota is used up, raise it and resend the queued messages.
""",
        visibility="internal",
        status="draft",
    ),
    DemoArticle(
        "Laptop shows a black screen after an update",
        "Laptop",
        ("laptop", "hardware"),
        "ivan.hw",
        """1. Hold the power button for 15 seconds, then start it again.
2. Unplug the docking station and any monitor; try with the laptop alone.
3. Press **Ctrl+Win+Shift+B** to restart the graphics driver.
4. Still black? Bring it to the Service Desk or open a ticket: we lend you a laptop while
   we fix yours. Your files are safe on OneDrive.
""",
    ),
    DemoArticle(
        "Get a replacement device",
        "Laptop",
        ("hardware", "laptop"),
        "chloe.hw",
        """Broken laptop, docking station, monitor, headset or keyboard?

1. Open a ticket with the device's asset tag (the sticker underneath) and what happened.
2. Spilled a drink? Switch it off and unplug it at once; do not try to dry it with heat.
3. We send a replacement from stock within two working days; take the old one to reception.
""",
    ),
    DemoArticle(
        "Printer shows as offline",
        "Printer",
        ("printer", "hardware"),
        "chloe.hw",
        """1. Check the printer's display: an error or a paper jam keeps it offline.
2. Switch it off and on again; wait two minutes.
3. On your laptop remove the printer and add it again from **Settings → Printers → Add**
   (pick the name on the printer's label).
4. Offline for everyone on the floor? Open a ticket with the printer's name.
""",
    ),
    DemoArticle(
        "Clear a paper jam",
        "Printer",
        ("printer",),
        "ivan.hw",
        """1. Open the doors the display names, one at a time; pull paper out slowly, in the
   direction it travels.
2. Check the tray: paper above the line or damp paper jams again.
3. Torn paper left inside, or a jam that comes back? Open a ticket; do not use tools.
""",
    ),
    DemoArticle(
        "Working from another office",
        "General",
        ("question",),
        "lena.sd",
        """Your account works at every site. Before you go:

1. Ask the site's reception for a desk and a visitor badge.
2. Printers: add the site's printer on arrival (see *Printer shows as offline*, step 3).
3. Long stays abroad: tell us a week ahead so the VPN and sign-in from that country work.
""",
    ),
)
"""Published public articles (the help site's), internal ones for agents, and two drafts."""


@dataclass(frozen=True)
class DemoCanned:
    name: str
    body: str


CANNED: tuple[DemoCanned, ...] = (
    DemoCanned(
        "Ask for a screenshot",
        "Hi {{requester.first_name}},\n\nThanks for getting in touch. Could you send a "
        "screenshot of the error and tell us when it last worked? That helps us find the "
        "cause quickly.\n\nBest regards,\n{{agent.name}}",
    ),
    DemoCanned(
        "Password reset done",
        "Hi {{requester.first_name}},\n\nI have reset your password; you will receive a "
        "temporary one by text message. Please choose a new one when you sign in, and sign "
        "in again on your phone too.\n\nBest regards,\n{{agent.name}}",
    ),
    DemoCanned(
        "VPN first steps",
        "Hi {{requester.first_name}},\n\nPlease try these steps: restart your router, "
        "switch the VPN client to TCP (Settings, Protocol) and update the client (Help, "
        "Check for updates). If it still drops, reply with the time it dropped and where you "
        "were.\n\nBest regards,\n{{agent.name}}",
    ),
    DemoCanned(
        "Replacement ordered",
        "Hi {{requester.first_name}},\n\nWe have ordered a replacement for you; it should "
        "arrive within two working days. Please hand the old device in at reception.\n\n"
        "Best regards,\n{{agent.name}}",
    ),
    DemoCanned(
        "Licence assigned",
        "Hi {{requester.first_name}},\n\nThe licence is assigned. Sign out of the app and in "
        "again with your company account to use it.\n\nBest regards,\n{{agent.name}}",
    ),
    DemoCanned(
        "Thanks for reporting phishing",
        "Hi {{requester.first_name}},\n\nThank you for reporting this message: it is indeed "
        "phishing and we have removed it from every mailbox. If you clicked a link or opened "
        "the attachment, change your password now and let us know.\n\nBest regards,\n"
        "{{agent.name}}",
    ),
    DemoCanned(
        "Escalated to second line",
        "Hi {{requester.first_name}},\n\nI have passed ticket #{{ticket.number}} to a "
        "specialist colleague, who will get back to you. You do not need to do anything "
        "meanwhile.\n\nBest regards,\n{{agent.name}}",
    ),
    DemoCanned(
        "Closing: no reply",
        "Hi {{requester.first_name}},\n\nWe have not heard back from you, so we are closing "
        "ticket #{{ticket.number}}. Reply to this message if you still need help and it "
        "opens again.\n\nBest regards,\n{{agent.name}}\n{{desk.name}}",
    ),
)
"""Shared canned responses, as a first-line desk uses them."""

MACROS: tuple[MacroSpec, ...] = (
    MacroSpec(
        name="Ask for details and wait",
        body="Hi {{requester.first_name}},\n\nCould you send a screenshot of the error and "
        "tell us when it last worked?\n\nBest regards,\n{{agent.name}}",
        status="waiting",
    ),
    MacroSpec(
        name="Resolve: fixed",
        body="Hi {{requester.first_name}},\n\nThis should be fixed now. Reply to this message "
        "if anything comes back and the ticket opens again.\n\nBest regards,\n{{agent.name}}",
        status="resolved",
    ),
    MacroSpec(
        name="Phishing report",
        body="Reported phishing: message removed from all mailboxes, sender blocked.",
        body_kind="note",
        tags_add=("phishing",),
        priority="high",
    ),
    MacroSpec(
        name="Hand over to Network",
        body="Needs the network team: VPN or Wi-Fi issue, first-line steps done.",
        body_kind="note",
        team="Network",
        status="open",
    ),
)
"""Macros: a text plus field changes, applied as one change."""


def article_data(seed: int, now: datetime) -> list[ArticleData]:
    """The articles as ``kb_import`` takes them, written over the months before ``now``
    (by a random of their own: the tickets' stories draw from another)."""
    rng = random.Random(f"demo-library:{seed}")
    found = []
    for article in ARTICLES:
        created = now - timedelta(days=rng.uniform(30, 200), minutes=rng.randint(0, 600))
        updated = min(now, created + timedelta(days=rng.uniform(0, 25)))
        found.append(
            ArticleData(
                slug=slugify(article.title),
                title=article.title,
                body=article.body,
                category=article.category,
                tags=article.tags,
                status=article.status,
                visibility=article.visibility,
                author=article.author,
                created_at=created,
                updated_at=updated,
            )
        )
    return found


def add_library(desk: Desk, *, seed: int, now: datetime) -> LibraryAdded:
    """Write the articles, canned responses and macros the desk does not hold yet."""
    articles, _ = desk.kb_import(article_data(seed, now), keep_known=True)
    shared = {v.name.casefold() for v in desk.canned_list() if v.scope == "shared"}
    canned = 0
    for item in CANNED:
        if item.name.casefold() not in shared:
            desk.canned_save(item.name, item.body, shared=True)
            canned += 1
    known = {v.name.casefold() for v in desk.macro_list()}
    macros = 0
    for spec in MACROS:
        if spec.name.casefold() not in known:
            desk.macro_save(spec)
            macros += 1
    return LibraryAdded(articles, canned, macros)
