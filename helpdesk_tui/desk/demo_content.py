"""What the demo desk talks about: teams, agents, categories, subjects and message texts.

Plain data, so the generator in ``demo.py`` stays about timelines and rows. Every text here
is fixed; the generator fills the ``{placeholders}`` from these pools with a seeded random.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoAgent:
    login: str
    name: str
    team: str
    tier: int
    role: str = "agent"


@dataclass(frozen=True)
class DemoCategory:
    name: str
    team: str
    ticket_type: str
    tags: tuple[str, ...]
    subjects: tuple[str, ...]
    problems: tuple[str, ...]


TEAMS: dict[str, str] = {
    "Service Desk": "First line: every new ticket lands here first",
    "Network": "VPN, Wi-Fi, firewalls and the office network",
    "Applications": "Business applications, licences and the website",
    "Hardware": "Laptops, printers, phones and monitors",
}

AGENTS: tuple[DemoAgent, ...] = (
    DemoAgent("dana.sd", "Dana Whitfield", "Service Desk", 1, "supervisor"),
    DemoAgent("omar.sd", "Omar Haddad", "Service Desk", 1),
    DemoAgent("lena.sd", "Lena Fischer", "Service Desk", 1),
    DemoAgent("tom.sd", "Tom Okafor", "Service Desk", 1),
    DemoAgent("priya.net", "Priya Raman", "Network", 2),
    DemoAgent("marco.net", "Marco Bellini", "Network", 3),
    DemoAgent("sofia.app", "Sofia Lindqvist", "Applications", 2),
    DemoAgent("kenji.app", "Kenji Watanabe", "Applications", 3),
    DemoAgent("grace.app", "Grace Mensah", "Applications", 2),
    DemoAgent("ivan.hw", "Ivan Petrov", "Hardware", 2),
    DemoAgent("chloe.hw", "Chloe Martin", "Hardware", 2),
    DemoAgent("sam.lead", "Sam Carter", "Service Desk", 4, "supervisor"),
)

APPS = ("Outlook", "Teams", "SAP", "Salesforce", "Excel", "Jira", "Confluence", "Zoom", "Slack")
DEVICES = ("laptop", "docking station", "monitor", "headset", "desk phone", "keyboard")
PRINTERS = ("HP LaserJet 4th floor", "Canon copier reception", "Brother label printer")
SITES = ("London", "Berlin", "Lyon", "Austin", "Toronto", "Warehouse", "Head office")

CATEGORIES: tuple[DemoCategory, ...] = (
    DemoCategory(
        "Accounts & Access",
        "Service Desk",
        "service_request",
        ("access", "password-reset", "mfa"),
        (
            "Locked out of my account",
            "Password reset for {app}",
            "Need access to the {app} shared workspace",
            "MFA codes not arriving on new phone",
            "New starter at {site} needs an account",
        ),
        (
            "I can't log in to {app} since this morning, it says my account is locked.",
            "I got a new phone and the authenticator codes stopped working.",
            "A colleague joins the {site} team on Monday and needs access to {app}.",
        ),
    ),
    DemoCategory(
        "Email",
        "Service Desk",
        "incident",
        ("email", "outlook", "phishing"),
        (
            "Outlook keeps asking for my password",
            "Emails to a customer bounce back",
            "Suspicious email with an invoice attachment",
            "Shared mailbox not showing in Outlook",
            "Calendar invites arrive twice",
        ),
        (
            "Since the update Outlook asks for my password every few minutes.",
            "Every email I send to one of our customers comes back undelivered.",
            "I received an invoice from a supplier we do not use; the link looks odd.",
        ),
    ),
    DemoCategory(
        "VPN",
        "Network",
        "incident",
        ("vpn", "remote-work"),
        (
            "VPN drops every {n} minutes",
            "Cannot connect to VPN from home",
            "VPN very slow from the {site} office",
            "VPN client asks for a certificate",
        ),
        (
            "The VPN connects, then drops every {n} minutes, so calls keep failing.",
            "From home the VPN client says the gateway cannot be reached.",
            "Working over the VPN from {site} is so slow that files time out.",
        ),
    ),
    DemoCategory(
        "Wi-Fi",
        "Network",
        "incident",
        ("wifi", "network"),
        (
            "Wi-Fi down in meeting room {n}",
            "Guest Wi-Fi password for visitors at {site}",
            "Weak Wi-Fi signal on the {floor} floor",
        ),
        (
            "Nobody in meeting room {n} can get on the Wi-Fi.",
            "We have visitors at {site} tomorrow and need the guest network.",
            "The signal on our floor drops whenever more than a few people are in.",
        ),
    ),
    DemoCategory(
        "ERP",
        "Applications",
        "incident",
        ("sap", "bug", "finance"),
        (
            "{app} crashes when exporting a report",
            "Month-end batch job failed in {app}",
            "Wrong prices shown in {app} order screen",
            "{app} error: session expired after {n} seconds",
        ),
        (
            "{app} closes itself every time I export the monthly report.",
            "The month-end job stopped with an error and finance is waiting for it.",
            "Orders entered today show last year's prices.",
        ),
    ),
    DemoCategory(
        "Licences",
        "Applications",
        "service_request",
        ("license", "purchase"),
        (
            "Need a {app} licence for a new hire",
            "{app} says my licence has expired",
            "Request: upgrade to {app} Pro",
        ),
        (
            "Our new hire needs {app}; could you assign a licence?",
            "{app} shows a banner that my licence expired yesterday.",
            "Our team needs the Pro edition of {app} for the new project.",
        ),
    ),
    DemoCategory(
        "Website",
        "Applications",
        "question",
        ("website", "feature-request"),
        (
            "Contact form on the website not sending",
            "How do I update the team page?",
            "Broken link on the pricing page",
        ),
        (
            "Customers say the contact form shows an error when they press send.",
            "How do I change the photos on our team page?",
            "The link to the price list on the pricing page leads to a 404.",
        ),
    ),
    DemoCategory(
        "Laptop",
        "Hardware",
        "incident",
        ("hardware", "laptop"),
        (
            "Laptop will not boot after update",
            "Replacement {device} needed",
            "Laptop battery lasts only {n} minutes",
            "Spilled coffee on my {device}",
        ),
        (
            "My laptop shows a black screen after last night's update.",
            "My {device} stopped working and I have a presentation this week.",
            "The battery is down to about {n} minutes even when fully charged.",
        ),
    ),
    DemoCategory(
        "Printer",
        "Hardware",
        "incident",
        ("printer", "hardware"),
        (
            "Printer offline: {printer}",
            "Paper jam in the {printer}",
            "Printer prints blank pages",
        ),
        (
            "The {printer} shows as offline for everyone on our floor.",
            "There is a paper jam I cannot clear on the {printer}.",
            "Everything sent to the printer comes out blank.",
        ),
    ),
    DemoCategory(
        "General",
        "Service Desk",
        "question",
        ("question",),
        (
            "Question about working from {site}",
            "Who do I ask about a new {device}?",
            "Complaint: ticket closed without a fix",
            "Slow response on my last request",
        ),
        (
            "I will be working from {site} next month; what do I need to set up?",
            "I would like a second {device}; who approves that?",
            "My last ticket was closed but the problem is still there.",
        ),
    ),
)

DETAILS = (
    "It started {n} days ago.",
    "Restarting did not help.",
    "Several people in my team see the same.",
    "I attached a screenshot of the error.",
    "This blocks my work today.",
    "It worked fine last week.",
    "I am at the {site} office.",
)

REPLIES = (
    "Thanks for reporting this. Could you tell me when it last worked?",
    "I have reset the settings on our side; please try again and let me know.",
    "We are looking into it. Could you send a screenshot of the error?",
    "I have passed this to a colleague who knows {app} well.",
    "This should be fixed now. Please confirm it works for you.",
    "We ordered a replacement; it should arrive within {n} days.",
    "I can call you to walk through it together; when suits you?",
)

RESOLUTIONS = (
    "Glad it works again. I will close this ticket; reply if anything comes back.",
    "The fix is in place for everyone now. Thank you for your patience.",
    "Done: access is granted. Log out and in again to see it.",
)

CUSTOMER_FOLLOW_UPS = (
    "Thanks, I tried again and it still fails with the same message.",
    "Here is the screenshot you asked for.",
    "It last worked on Friday before the update.",
    "Any news on this? It is getting urgent.",
    "That worked, thank you!",
)

NOTES = (
    "Checked the logs: the errors start after the {app} update.",
    "Same issue as two other tickets this week; probably one cause.",
    "Waiting for the vendor to answer our case.",
    "Customer prefers a call after 2 pm.",
    "Escalating: needs someone with admin rights on {app}.",
)

CALLS = (
    "Called the customer, walked through the steps; will test and call back.",
    "Customer called asking for an update; told them we are on it.",
    "Phoned the customer: problem confirmed on a second machine.",
)

SUPPORT_ADDRESS = "support@helpdesk.example"

RATING_WEIGHTS = ((5, 52), (4, 26), (3, 10), (2, 6), (1, 6))
"""How customers who answer the satisfaction survey rate a closed ticket."""
GOOD_COMMENTS = (
    "Quick and friendly, thank you!",
    "Fixed within the hour, great service.",
    "Thanks for calling me back and walking me through it.",
    "Clear instructions, worked first time.",
    "Very patient with me, much appreciated.",
)
MIXED_COMMENTS = (
    "Solved in the end, but it took a few days.",
    "OK, though I had to explain the problem twice.",
    "Better now, but it is still slow in the mornings.",
)
BAD_COMMENTS = (
    "Took over a week and nobody told me what was happening.",
    "Ticket was closed but the problem came back the next day.",
    "I had to chase three times for an answer.",
    "The suggested fix did not work; I sorted it out myself.",
)
