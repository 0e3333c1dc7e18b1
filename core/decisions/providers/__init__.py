"""Decision providers: the deterministic rules, and LLMs behind one small interface (`base.LlmProvider`)."""
