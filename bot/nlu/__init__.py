"""Custom Rasa NLU components for Chinese 两融 text."""
