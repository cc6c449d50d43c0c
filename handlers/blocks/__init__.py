"""Every Block Kit builder, split by surface; builders are pure and escape untrusted text."""
