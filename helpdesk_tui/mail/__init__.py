"""Mail: parsing, noise detection, quote folding, the IMAP poller, ingest and the outbox."""
