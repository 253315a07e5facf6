"""The adversarial probes, in the suite: hostile input, permissions, XSS, faults, kills."""
