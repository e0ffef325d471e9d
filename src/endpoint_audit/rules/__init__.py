"""Rule checks (`type: rule` in a baseline): each rule becomes a check with its own fact
family and collectors, built from its data when a plan is made (engine.plan). The reads
are the same commands as any collector's: Windows registry reads join the host's one
PowerShell batch, Linux reads are argv and file reads, so bundles, replay and exported
probe scripts carry them like any other check's."""
