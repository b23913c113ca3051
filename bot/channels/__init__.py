"""Input channels: token-aware REST and socket.io for clients, assist for agents."""
