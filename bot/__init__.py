"""示例证券 两融 assistant: custom Rasa components, channels and the knowledge service."""
