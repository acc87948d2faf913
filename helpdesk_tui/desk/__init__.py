"""The helpdesk's rules: the only way anything changes a ticket. No Textual, no sockets."""
