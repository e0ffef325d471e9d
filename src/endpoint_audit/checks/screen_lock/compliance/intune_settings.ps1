# screen_lock as Intune custom compliance settings, from the answer of screen_lock.ps1
# ($EAProbe; $null when it failed). The reading of windows.py and check.py, never looser:
# a user whose settings were not seen, or a value not seen, counts against the device.
# Registry texts are matched exactly ('1'); a screen saver counts as chosen when its
# SCRNSAVE.EXE holds a printable ASCII character (the check: anything but blanks).
$EAScreenLockUnread = [int64]9999999999
function ConvertTo-EAScreenLockNumber($Value) {
    # As the tool reads registry numbers: a boolean is no number; ASCII digits in a
    # string count (up to 18 of them: a longer one is not read, never judged short).
    if ($null -eq $Value -or $Value -is [bool]) { return $null }
    if ($Value -is [int] -or $Value -is [long] -or $Value -is [int16] -or $Value -is [byte] -or $Value -is [uint16] -or $Value -is [uint32]) { return [int64]$Value }
    if ($Value -is [string] -and $Value -cmatch '^[ \t\r\n]*(-?[0-9]{1,18})[ \t\r\n]*\z') { return [int64]$Matches[1] }
    return $null
}
function Get-EAScreenLockValues($Raw) {
    # A value list as windows.py reads it: the values that are set, as texts.
    $EAOut = @{}
    if ($Raw -isnot [hashtable]) { return $EAOut }
    foreach ($EAKey in @($Raw.Keys)) {
        $EAValue = $Raw[$EAKey]
        if ($null -eq $EAValue) { continue }
        # Texts and integers as windows.py prints them; another value is no setting's.
        if ($EAValue -is [string] -or $EAValue -is [int] -or $EAValue -is [long]) {
            $EAOut[[string]$EAKey] = [string]$EAValue
        } else {
            $EAOut[[string]$EAKey] = '?'
        }
    }
    return $EAOut
}
# Machine inactivity limit: 1 or more seconds locks every session; not set (or 0, or a
# value below 1) never does.
$EASettings['ScreenLockMachineIdleSeconds'] = $EAScreenLockUnread
# Users signed in; -1 not seen. Of them: settings not read (hive, timeout), screen
# saver not secure, settings not set by Group Policy.
$EASettings['ScreenLockUsers'] = [int64]-1
$EASettings['ScreenLockUsersUnread'] = [int64]-1
$EASettings['ScreenLockUsersNotSecure'] = [int64]-1
$EASettings['ScreenLockUsersNotEnforced'] = [int64]-1
# The longest screen saver timeout of the users read (0, never, and not read: unread).
$EASettings['ScreenLockIdleSeconds'] = $EAScreenLockUnread
# Seconds from the screen saver to the password (ScreenSaverGracePeriod, default 5).
$EASettings['ScreenLockDelaySeconds'] = $EAScreenLockUnread
if ($null -ne $EAProbe) {
    $EAInactivity = $EAProbe['inactivity_timeout_secs']
    $EAMachine = ConvertTo-EAScreenLockNumber $EAInactivity
    if ($null -eq $EAInactivity) {
        $EASettings['ScreenLockMachineIdleSeconds'] = $EAScreenLockUnread
    } elseif ($null -ne $EAMachine -and $EAMachine -ge 1) {
        $EASettings['ScreenLockMachineIdleSeconds'] = [int64]$EAMachine
    }
    $EAGraceRedirected = $EAProbe['grace_period_redirected']
    if (-not ($EAGraceRedirected -is [bool] -and $EAGraceRedirected)) {
        # Not set: the default, 5. Set but no number of seconds: not seen (unread).
        $EAGraceRaw = $EAProbe['grace_period']
        $EAGrace = ConvertTo-EAScreenLockNumber $EAGraceRaw
        if ($null -eq $EAGraceRaw) {
            $EASettings['ScreenLockDelaySeconds'] = [int64]5
        } elseif ($null -ne $EAGrace -and $EAGrace -ge 0) {
            $EASettings['ScreenLockDelaySeconds'] = [int64]$EAGrace
        }
    }
    $EAEntries = @()
    if ($null -ne $EAProbe['users']) { $EAEntries = @($EAProbe['users']) }
    $EAUsers = 0
    $EAUnread = 0
    $EANotSecure = 0
    $EANotEnforced = 0
    $EALongest = [int64]0
    $EAMalformed = $false
    foreach ($EAEntry in $EAEntries) {
        if ($EAEntry -isnot [hashtable]) { $EAMalformed = $true; continue }
        $EAUsers += 1
        # Any text of an error counts (the check: one with more than blanks).
        $EAError = $EAEntry['read_error']
        $EALoaded = $EAEntry['hive_loaded']
        if (($EAError -is [string] -and $EAError.Length -gt 0) -or -not ($EALoaded -is [bool] -and $EALoaded)) {
            $EAUnread += 1
            continue
        }
        $EAUserValues = Get-EAScreenLockValues $EAEntry['user_values']
        $EAPolicyValues = Get-EAScreenLockValues $EAEntry['policy_values']
        $EAEffective = @{}
        foreach ($EAKey in $EAUserValues.Keys) { $EAEffective[$EAKey] = $EAUserValues[$EAKey] }
        foreach ($EAKey in $EAPolicyValues.Keys) { $EAEffective[$EAKey] = $EAPolicyValues[$EAKey] }
        $EAProgram = $EAEffective['SCRNSAVE.EXE']
        $EASecure = $EAEffective['ScreenSaveActive'] -ceq '1' -and $EAEffective['ScreenSaverIsSecure'] -ceq '1' -and $EAProgram -is [string] -and $EAProgram -cmatch '[!-~]'
        if (-not $EASecure) { $EANotSecure += 1 }
        $EAEnforced = $EAPolicyValues.ContainsKey('ScreenSaveActive') -or $EAPolicyValues.ContainsKey('ScreenSaverIsSecure') -or $EAPolicyValues.ContainsKey('ScreenSaveTimeOut')
        if (-not $EAEnforced) { $EANotEnforced += 1 }
        $EATimeout = ConvertTo-EAScreenLockNumber $EAEffective['ScreenSaveTimeOut']
        if ($null -eq $EATimeout -or $EATimeout -lt 0) {
            $EAUnread += 1
        } elseif ($EATimeout -eq 0) {
            $EALongest = $EAScreenLockUnread
        } elseif ($EATimeout -gt $EALongest) {
            $EALongest = $EATimeout
        }
    }
    if (-not $EAMalformed) {
        $EASettings['ScreenLockUsers'] = [int64]$EAUsers
        $EASettings['ScreenLockUsersUnread'] = [int64]$EAUnread
        $EASettings['ScreenLockUsersNotSecure'] = [int64]$EANotSecure
        $EASettings['ScreenLockUsersNotEnforced'] = [int64]$EANotEnforced
        if ($EAUsers -gt $EAUnread -and $EALongest -gt 0) {
            $EASettings['ScreenLockIdleSeconds'] = [int64]$EALongest
        }
    }
}
