"""A knowledge base of 200 realistic IT-support articles, and queries that must find them.

Made from hand-written articles plus templates applied to real products, so that many
articles share words ("crashes", "install", "reset") and ranking has to pick the right one.
Deterministic: no randomness, the same 200 articles every time.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Article:
    slug: str
    title: str
    category: str
    tags: tuple[str, ...]
    body: str


HANDWRITTEN: list[tuple[str, str, tuple[str, ...], str]] = [
    (
        "Reset your network password",
        "Accounts",
        ("password", "account", "self-service"),
        "If you forgot your password or it has expired, go to https://password.example.com "
        "and choose **Forgot password**. You will get a code by SMS on the phone number in "
        "your profile. Choose a new password of at least 14 characters; it must not be one "
        "of your last 10 passwords. Your laptop picks up the new password the next time it "
        "is on the office network or connected to the VPN.",
    ),
    (
        "Unlock an account after too many sign-in attempts",
        "Accounts",
        ("lockout", "account", "locked"),
        "After five wrong passwords in ten minutes your account is locked for 30 minutes. "
        "Wait, or call the service desk on extension 4357 to have it unlocked sooner. "
        "Check that Caps Lock is off and that no old phone or tablet keeps trying the old "
        "password: a mail app with a saved password is the usual cause of repeated lockouts.",
    ),
    (
        "Set up multi-factor authentication with the Authenticator app",
        "Accounts",
        ("mfa", "authenticator", "security"),
        "Install Microsoft Authenticator from the App Store or Google Play. Sign in at "
        "https://aka.ms/mysecurityinfo, choose **Add method → Authenticator app** and scan "
        "the QR code. Approve the test notification. Keep a second method (SMS) in case you "
        "lose your phone.",
    ),
    (
        "Moving MFA to a new phone",
        "Accounts",
        ("mfa", "phone", "authenticator"),
        "Before you wipe the old phone, add the new phone as a second sign-in method. If the "
        "old phone is lost or broken, the service desk can issue a temporary access pass "
        "after checking your identity by video call.",
    ),
    (
        "Connect to the VPN from home",
        "Network",
        ("vpn", "remote", "anyconnect"),
        "Open Cisco AnyConnect, enter vpn.example.com and sign in with your network "
        "password and MFA. Use the VPN for internal sites such as the intranet, file "
        "shares and SAP. Video calls work better without it.",
    ),
    (
        "VPN keeps disconnecting every few minutes",
        "Network",
        ("vpn", "disconnect", "anyconnect"),
        "Frequent drops are usually the home router's power saving or a weak wireless "
        "signal. Plug the laptop in with a cable if you can, turn off power saving for the "
        "Wi-Fi adapter and update AnyConnect to the latest version from Software Center.",
    ),
    (
        "Connect to the guest Wi-Fi",
        "Network",
        ("wifi", "guest", "visitor"),
        "Visitors join the network *Example-Guest*. Reception prints a voucher valid for 24 "
        "hours. Guest Wi-Fi reaches the internet only, not internal systems.",
    ),
    (
        "Laptop does not connect to the office Wi-Fi",
        "Network",
        ("wifi", "laptop", "certificate"),
        "The office network *Example-Corp* uses your device certificate. If the laptop has "
        "not been on the network for more than 90 days the certificate expires: connect "
        "with a cable once, or over the VPN, and restart to renew it.",
    ),
    (
        "Internet is slow in the office",
        "Network",
        ("internet", "slow", "bandwidth"),
        "Run a speed test at https://speed.example.com and send the result to the service "
        "desk with your floor and desk number. Large uploads to cloud storage during the day "
        "can slow the network for everyone; schedule them for the evening.",
    ),
    (
        "Map a network drive to a file share",
        "Files",
        ("drive", "share", "windows"),
        "In File Explorer right-click *This PC → Map network drive*. Choose a letter and "
        "enter the path, for example \\\\files\\finance. Tick *Reconnect at sign-in*. You "
        "need the VPN when you are not in the office.",
    ),
    (
        "Restore a deleted file from a previous version",
        "Files",
        ("restore", "backup", "deleted"),
        "Right-click the folder on the file share, choose *Properties → Previous Versions* "
        "and pick a snapshot from before the file was deleted. Snapshots are taken every "
        "four hours and kept for 30 days. For older files ask the service desk to restore "
        "from backup.",
    ),
    (
        "Request access to a shared folder",
        "Files",
        ("access", "share", "permissions"),
        "Ask the folder owner to approve your request in the access portal. The owner of "
        "each share is listed in the portal. Access is usually granted within one working "
        "day; sign out and in again for it to take effect.",
    ),
    (
        "Order a new laptop",
        "Hardware",
        ("laptop", "order", "procurement"),
        "Laptops are replaced every four years. Your manager orders a new one in the IT "
        "shop; standard models are in stock and ship within three working days. Bring the "
        "old laptop to the IT counter when you collect the new one.",
    ),
    (
        "Laptop battery drains quickly",
        "Hardware",
        ("laptop", "battery", "power"),
        "Check *Settings → System → Battery* for apps using the most power. Lower the screen "
        "brightness and close browser tabs you do not need. A battery that lasts less than "
        "two hours when new settings are used should be replaced: open a ticket with the "
        "asset tag.",
    ),
    (
        "Cracked laptop screen",
        "Hardware",
        ("laptop", "screen", "repair", "broken"),
        "Stop using the laptop if glass is loose. Back up your files to OneDrive, then bring "
        "it to the IT counter; you get a loan laptop while it is repaired. Accidental damage "
        "is covered, but tell us how it happened.",
    ),
    (
        "Second monitor not detected on the docking station",
        "Hardware",
        ("monitor", "docking-station", "display"),
        "Unplug the dock's power for ten seconds, plug it back in, then reconnect the laptop. "
        "Press Windows+P and choose *Extend*. Update the dock firmware from Software Center "
        "if the display stays black.",
    ),
    (
        "Keyboard or mouse stopped working",
        "Hardware",
        ("keyboard", "mouse", "peripherals"),
        "Replace the batteries of a wireless keyboard or mouse, or plug a wired one into "
        "another USB port. Spare keyboards and mice are at the IT counter.",
    ),
    (
        "Headset microphone not working in calls",
        "Hardware",
        ("headset", "microphone", "audio"),
        "In the call app's audio settings choose the headset as both speaker and microphone. "
        "In Windows sound settings check that the microphone is not muted and that apps may "
        "use it (*Privacy → Microphone*).",
    ),
    (
        "Set up your company mobile phone",
        "Mobile",
        ("phone", "mobile", "intune"),
        "Install *Company Portal*, sign in with your work account and follow the steps to "
        "enroll the phone. Mail, Teams and the intranet app install themselves afterwards.",
    ),
    (
        "Lost or stolen phone",
        "Mobile",
        ("phone", "lost", "security"),
        "Call the service desk at once on +1 555 0100 so we can wipe work data from the "
        "phone. Report a theft to the police too and send us the report number.",
    ),
    (
        "Recognize and report phishing email",
        "Security",
        ("phishing", "email", "security"),
        "Phishing mail pretends to come from a colleague, a bank or a delivery company and "
        "asks you to click a link or open an attachment. Do not click. Use the *Report "
        "phishing* button in Outlook. If you already entered your password, reset it and "
        "call the service desk.",
    ),
    (
        "Too much spam in my inbox",
        "Security",
        ("spam", "email", "filter"),
        "Mark unwanted mail as junk; the filter learns from it. Messages held as spam are "
        "listed in the quarantine digest you receive every morning, where you can release "
        "one that is not spam.",
    ),
    (
        "Encrypt a USB drive with BitLocker To Go",
        "Security",
        ("usb", "encryption", "bitlocker"),
        "Right-click the USB drive in File Explorer and choose *Turn on BitLocker*. Choose a "
        "password and save the recovery key to your OneDrive. Unencrypted USB drives are "
        "read-only on company laptops.",
    ),
    (
        "BitLocker asks for a recovery key at start-up",
        "Security",
        ("bitlocker", "recovery", "laptop"),
        "This happens after a firmware update or a hardware change. Get the recovery key at "
        "https://aka.ms/aadrecoverykey with another device, or call the service desk and "
        "give the key ID shown on the screen.",
    ),
    (
        "Expense claims and refunds for IT purchases",
        "Purchasing",
        ("expense", "refund", "purchase"),
        "Accessories under 50 USD may be bought yourself and claimed in the expense tool "
        "with the receipt. Anything else is ordered through the IT shop so it is covered by "
        "warranty and inventory.",
    ),
    (
        "Invoice from a software vendor",
        "Purchasing",
        ("invoice", "licence", "vendor"),
        "Forward vendor invoices for software licences to accounts-payable@example.com with "
        "the purchase order number. IT does not pay invoices directly.",
    ),
    (
        "New employee IT checklist",
        "Onboarding",
        ("onboarding", "new-starter", "account"),
        "On your first day collect your laptop at the IT counter, set your password, set up "
        "MFA and your phone, and join the Teams channel *IT Announcements*. Your manager has "
        "requested access to the systems you need.",
    ),
    (
        "Leaving the company: returning equipment",
        "Onboarding",
        ("offboarding", "leaver", "equipment"),
        "On your last day return your laptop, charger, phone and badge to the IT counter. "
        "Move files you want to keep for your team to a shared folder beforehand; your "
        "mailbox is kept for 30 days.",
    ),
    (
        "Book a meeting room with a video system",
        "Collaboration",
        ("meeting-room", "video", "booking"),
        "Meeting rooms with a video system are marked with a camera icon in the Outlook room "
        "finder. Add the room to the invitation; the system joins the Teams meeting with "
        "one touch on the console.",
    ),
    (
        "Share your calendar with an assistant",
        "Collaboration",
        ("calendar", "delegate", "outlook"),
        "In Outlook open *Calendar → Share calendar*, add your assistant and choose *Delegate* "
        "to let them accept invitations for you.",
    ),
    (
        "Out of office reply in Outlook",
        "Email",
        ("outlook", "out-of-office", "auto-reply"),
        "In Outlook choose *File → Automatic Replies*, turn them on, write one message for "
        "colleagues and one for people outside the company, and set the dates. On the web, "
        "the same setting is under *Settings → Mail → Automatic replies*.",
    ),
    (
        "Mailbox is full",
        "Email",
        ("mailbox", "quota", "email"),
        "A mailbox holds 50 GB. When it is nearly full Outlook warns you and stops sending at "
        "the limit. Empty *Deleted Items*, remove large attachments from old mail, or turn on "
        "the online archive in the account portal.",
    ),
]

APPS: list[tuple[str, str, str, str]] = [
    # (name, slug word, category, a detail only this app has)
    ("Outlook", "outlook", "Email", "mailbox profile and the offline .ost file"),
    ("Microsoft Teams", "teams", "Collaboration", "the Teams cache in %appdata%\\Microsoft\\Teams"),
    ("Zoom", "zoom", "Collaboration", "the Zoom client's video settings"),
    ("Slack", "slack", "Collaboration", "Slack workspaces and notification preferences"),
    ("Excel", "excel", "Office", "workbooks with macros and add-ins"),
    ("Word", "word", "Office", "templates in Normal.dotm"),
    ("PowerPoint", "powerpoint", "Office", "slide masters and embedded videos"),
    ("Google Chrome", "chrome", "Browsers", "browser extensions and the profile folder"),
    ("Firefox", "firefox", "Browsers", "the Firefox profile and its add-ons"),
    ("Adobe Acrobat Reader", "acrobat", "Documents", "PDF forms and signatures"),
    ("OneDrive", "onedrive", "Files", "Files On-Demand and the sync status icon"),
    ("SharePoint", "sharepoint", "Files", "document libraries and site permissions"),
    ("Salesforce", "salesforce", "Business apps", "the Salesforce Outlook integration"),
    ("SAP GUI", "sap", "Business apps", "the SAP Logon pad and system entries"),
    ("Jira", "jira", "Business apps", "Jira boards and filters"),
    ("Confluence", "confluence", "Business apps", "Confluence spaces and page restrictions"),
    ("Visual Studio Code", "vscode", "Developer tools", "extensions and the settings.json file"),
    ("Docker Desktop", "docker", "Developer tools", "the WSL 2 backend and disk image"),
    ("Adobe Photoshop", "photoshop", "Design", "scratch disks and GPU acceleration"),
    ("Cisco AnyConnect", "anyconnect", "Network", "the VPN profile and its certificate"),
]

APP_TEMPLATES: list[tuple[str, str, tuple[str, ...], str]] = [
    (
        "Install {name}",
        "install-{slug}",
        ("install", "software-center"),
        "{name} is installed from Software Center: open it from the Start menu, search for "
        "{name} and choose **Install**. It takes a few minutes; you do not need admin rights. "
        "On a Mac use Self Service instead. If {name} is not listed, your licence has not been "
        "approved yet: ask your manager to request it in the IT shop.",
    ),
    (
        "{name} crashes or freezes on start-up",
        "{slug}-crashes",
        ("crash", "freeze", "troubleshooting"),
        "When {name} closes right after opening or stops responding, first restart the "
        "computer. Then reset its local data: {detail} is rebuilt automatically. If it still "
        "crashes, choose *Repair* for {name} in Software Center and send the service desk the "
        "time it happened so we can read the crash log.",
    ),
    (
        "{name} is slow",
        "{slug}-slow",
        ("slow", "performance"),
        "If {name} takes long to respond, close other programs and check free disk space (at "
        "least 10 GB). Large data in {detail} makes it slower over time; clearing it helps. "
        "Make sure you run the latest version from Software Center.",
    ),
    (
        "Sign-in problems with {name}",
        "{slug}-sign-in",
        ("login", "sso", "account"),
        "{name} uses single sign-on with your work account. If it keeps asking for a "
        "password, sign out of {name}, close it, and sign in again with your full email "
        "address. An expired network password also stops sign-in: reset it first.",
    ),
    (
        "Update {name} to the latest version",
        "update-{slug}",
        ("update", "version"),
        "Updates for {name} are pushed automatically on the second Tuesday of the month. To "
        "update now, open Software Center, select {name} and choose *Update*. Restart {name} "
        "afterwards; {detail} is kept.",
    ),
    (
        "Uninstall {name}",
        "uninstall-{slug}",
        ("uninstall", "remove"),
        "To remove {name}, open Software Center, select it and choose *Uninstall*. Your "
        "settings stay in your profile in case you install it again; {detail} is removed "
        "with the program.",
    ),
]

HARDWARE: list[tuple[str, str, str]] = [
    ("HP LaserJet printer", "laserjet", "Printing"),
    ("Canon multifunction printer", "canon-printer", "Printing"),
    ("Lenovo ThinkPad dock", "thinkpad-dock", "Hardware"),
    ("Dell monitor", "dell-monitor", "Hardware"),
    ("Jabra headset", "jabra-headset", "Hardware"),
    ("iPhone", "iphone", "Mobile"),
    ("Android phone", "android", "Mobile"),
    ("Surface Pro tablet", "surface", "Hardware"),
    ("Logitech webcam", "webcam", "Hardware"),
    ("Polycom conference phone", "polycom", "Collaboration"),
    ("Brother label printer", "brother-label-printer", "Printing"),
    ("MacBook Pro", "macbook", "Hardware"),
    ("YubiKey security key", "yubikey", "Security"),
]

HARDWARE_TEMPLATES: list[tuple[str, str, tuple[str, ...], str]] = [
    (
        "{name} is not working",
        "{slug}-not-working",
        ("hardware", "troubleshooting"),
        "Check the cables and power first, then restart the {name}. Look for a warning light "
        "or a message on its display and note it. If it still does not work, open a ticket "
        "with the asset tag on the sticker so a technician can visit or swap it.",
    ),
    (
        "Set up a {name}",
        "set-up-{slug}",
        ("setup", "hardware"),
        "Unpack the {name}, connect it and wait for Windows to install its drivers (a minute "
        "or two). Company devices are configured automatically; a personal one must be "
        "registered first in the IT shop.",
    ),
    (
        "Report a broken {name}",
        "broken-{slug}",
        ("repair", "broken", "hardware"),
        "Open a ticket with a photo of the damage and the asset tag. Damaged {name} units are "
        "swapped at the IT counter within a day; do not try to open or repair it yourself.",
    ),
]

PRINTING_EXTRA: list[tuple[str, str, tuple[str, ...], str]] = [
    (
        "Paper jam in the {name}",
        "{slug}-paper-jam",
        ("printer", "paper-jam"),
        "Open the front door and the tray shown on the {name}'s display, pull jammed paper "
        "out slowly with both hands and close everything. Never use tools. Fan the paper "
        "before putting it back in the tray.",
    ),
    (
        "Add the {name} to your computer",
        "add-{slug}",
        ("printer", "driver"),
        "Open *Settings → Printers*, choose *Add a printer* and pick the {name} on your floor "
        "from the list (names are FLOOR-ROOM). Secure printing holds your job until you tap "
        "your badge on the printer.",
    ),
    (
        "{name} prints blank or faded pages",
        "{slug}-faded",
        ("printer", "toner"),
        "Faded or blank pages mean the toner is low. Replacement toner is in the supply "
        "cupboard on each floor; the {name} shows how to change it. Report a cartridge that "
        "is empty but new.",
    ),
]


def _articles() -> list[Article]:
    made: list[Article] = []
    seen: set[str] = set()

    def add(slug: str, title: str, category: str, tags: tuple[str, ...], body: str) -> None:
        assert slug not in seen, slug
        seen.add(slug)
        made.append(Article(slug, title, category, tags, body))

    from helpdesk_tui.desk.kb import slugify

    for title, category, tags, body in HANDWRITTEN:
        add(slugify(title), title, category, tags, body)
    for name, slug, category, detail in APPS:
        for title, slug_t, tags, body in APP_TEMPLATES:
            add(
                slug_t.format(slug=slug),
                title.format(name=name),
                category,
                (slug, *tags),
                body.format(name=name, detail=detail),
            )
    for name, slug, category in HARDWARE:
        templates = HARDWARE_TEMPLATES + (PRINTING_EXTRA if category == "Printing" else [])
        for title, slug_t, tags, body in templates:
            add(
                slug_t.format(slug=slug),
                title.format(name=name),
                category,
                (slug, *tags),
                body.format(name=name),
            )
    return made


ARTICLES: list[Article] = _articles()

QUERIES: list[tuple[str, str]] = [
    # (what an agent or customer types, the slug it must find in the top 3)
    ("reset password", "reset-your-network-password"),
    ("forgot my password", "reset-your-network-password"),
    ("pasword expired", "reset-your-network-password"),
    ("account locked out", "unlock-an-account-after-too-many-sign-in-attempts"),
    ("vpn disconnects", "vpn-keeps-disconnecting-every-few-minutes"),
    ("vpn from home", "connect-to-the-vpn-from-home"),
    ("outlook keeps crashing", "outlook-crashes"),
    ("outlok crash", "outlook-crashes"),
    ("teams freezes", "teams-crashes"),
    ("install zoom", "install-zoom"),
    ("instal slak", "install-slack"),
    ("excel slow", "excel-slow"),
    ("chrome update", "update-chrome"),
    ("firefox sign in", "firefox-sign-in"),
    ("paper jam laserjet", "laserjet-paper-jam"),
    ("canon printer faded pages", "canon-printer-faded"),
    ("notebook battery", "laptop-battery-drains-quickly"),
    ("broken laptop display", "cracked-laptop-screen"),
    ("second screen not detected", "second-monitor-not-detected-on-the-docking-station"),
    ("wireless guest", "connect-to-the-guest-wi-fi"),
    ("mfa new phone", "moving-mfa-to-a-new-phone"),
    ("2fa setup", "set-up-multi-factor-authentication-with-the-authenticator-app"),
    ("phishing", "recognize-and-report-phishing-email"),
    ("junk mail", "too-much-spam-in-my-inbox"),
    ("bitlocker recovery key", "bitlocker-asks-for-a-recovery-key-at-start-up"),
    ("restore deleted file", "restore-a-deleted-file-from-a-previous-version"),
    ("map network drive", "map-a-network-drive-to-a-file-share"),
    ("stolen phone", "lost-or-stolen-phone"),
    ("jabra headset broken", "broken-jabra-headset"),
    ("sap login", "sap-sign-in"),
    ("docker desktop slow", "docker-slow"),
    ("photoshop crashes", "photoshop-crashes"),
    ("refund for a mouse I bought", "expense-claims-and-refunds-for-it-purchases"),
    ("microphone not working teams call", "headset-microphone-not-working-in-calls"),
    ("returning laptop last day", "leaving-the-company-returning-equipment"),
    ("share calendar assistant", "share-your-calendar-with-an-assistant"),
    ("onedrive sync slow", "onedrive-slow"),
    ("outlook mailbox full", "mailbox-is-full"),
    ("automatic reply holiday", "out-of-office-reply-in-outlook"),
    ("remove acrobat", "uninstall-acrobat"),
]
