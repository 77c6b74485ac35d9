"""The business account's own settings: the profile customers see."""
