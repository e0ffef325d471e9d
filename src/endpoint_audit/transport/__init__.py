"""Ways to reach a host: local, SSH, replay of a recorded transcript."""
