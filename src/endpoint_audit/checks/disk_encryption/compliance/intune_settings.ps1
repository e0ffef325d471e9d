# disk_encryption as Intune custom compliance settings, from the answer of bitlocker.ps1
# ($EAProbe; $null when it failed) and $EABitLockerExcluded (the baseline's
# exclude_volumes as check.py compares them, set before this snippet). The reading of
# windows.py and check.py, never looser: a volume that is not seen protected counts
# against the device, and a text outside printable ASCII (drive letters, BitLocker's enum
# names and its sources are ASCII) makes the whole answer Unrecognised.
$EABitLockerOdd = $false
function ConvertTo-EABitLockerText($Value) {
    # What the tool reads as a text: a string with something besides blanks, trimmed.
    if ($Value -isnot [string] -or $Value -cmatch '^[ \t\r\n]*\z') { return $null }
    if ($Value -cmatch '^[ \t\r\n]*([!-~](?:[ -~]*[!-~])?)[ \t\r\n]*\z') { return $Matches[1] }
    $script:EABitLockerOdd = $true
    return $null
}
function ConvertTo-EABitLockerFolder($Value) {
    # A folder's name is the users' words, in any script (Japanese among them): a string with
    # something besides blanks, trimmed. The probe's own values are ASCII.
    if ($Value -isnot [string] -or $Value -cmatch '^[ \t\r\n]*\z') { return $null }
    return ($Value -creplace '^[ \t\r\n]+|[ \t\r\n]+\z', '')
}
function ConvertTo-EABitLockerNumber($Value) {
    # As the tool reads JSON numbers: a boolean is no number; ASCII digits in a string count.
    if ($null -eq $Value -or $Value -is [bool]) { return $null }
    if ($Value -is [int] -or $Value -is [long] -or $Value -is [int16] -or $Value -is [byte] -or $Value -is [uint16] -or $Value -is [uint32]) { return [int64]$Value }
    if ($Value -is [double] -and $Value -ge -1000000000 -and $Value -le 1000000000 -and [int64]$Value -eq $Value) { return [int64]$Value }
    if ($Value -is [string] -and $Value -cmatch '^[ \t\r\n]*(-?[0-9]{1,9})[ \t\r\n]*\z') { return [int64]$Matches[1] }
    return $null
}
$EABitLockerUpper = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'
$EABitLockerLower = 'abcdefghijklmnopqrstuvwxyz'
function ConvertTo-EABitLockerLower($Text) {
    # ASCII letters only, whatever the culture (ToLower() makes I a dotless i in tr-TR).
    for ($i = 0; $i -lt 26; $i++) { $Text = $Text -creplace $EABitLockerUpper[$i], $EABitLockerLower[$i] }
    return $Text
}
function ConvertTo-EABitLockerDrive($Text) {
    # "C:" from "C:", "C:\" or "c:"; other mount points as given.
    if ($Text -cmatch '^([A-Za-z]):\\?\z') {
        $EALetter = [string]$Matches[1]
        for ($i = 0; $i -lt 26; $i++) { if ($EABitLockerLower[$i] -ceq $EALetter) { $EALetter = [string]$EABitLockerUpper[$i] } }
        return $EALetter + ':'
    }
    return $Text
}
function ConvertTo-EABitLockerDeviceKey($Text) {
    # Volume GUID paths compare without regard to case or a final backslash.
    return (ConvertTo-EABitLockerLower $Text) -creplace '\\+\z', ''
}
function Test-EABitLockerExcluded($Name) {
    $EAKey = ConvertTo-EABitLockerLower $Name
    if ($EAKey -cne '/') { $EAKey = $EAKey -creplace '[/\\]+\z', '' }
    return ($EABitLockerExcluded -ccontains $EAKey)
}
$EASettings['BitLockerAnswer'] = 'Unknown'
$EASettings['BitLockerVolumesJudged'] = [int64]-1
$EASettings['BitLockerVolumesUnprotected'] = [int64]-1
if ($null -ne $EAProbe) {
    $EASource = ConvertTo-EABitLockerText $EAProbe['source']
    $EAAnswer = 'Read'
    $EAFixed = @()
    $EAVolumes = @()
    if ($null -eq $EASource) {
        $EAAnswer = 'Unread'
        if ($EAProbe['is_admin'] -is [bool] -and -not $EAProbe['is_admin']) { $EAAnswer = 'NeedsAdmin' }
    } else {
        foreach ($EAItem in @($EAProbe['fixed_drives'])) {
            if ($null -eq $EAItem -or ($EAItem -is [string] -and $EAItem -ceq '')) { continue }
            $EAText = ConvertTo-EABitLockerText $EAItem
            if ($null -eq $EAText) { $EAAnswer = 'Malformed'; continue }
            $EADrive = ConvertTo-EABitLockerDrive $EAText
            if (-not ($EAFixed -ccontains $EADrive)) { $EAFixed += $EADrive }
        }
        # Fixed volumes without a drive letter mounted into a folder (Win32_Volume): their
        # device keys and folders; a GUID path is no folder. Unread: $EAMountedRead false.
        $EAMountedKeys = @()
        $EAMountedFolders = @()
        $EAMountedRead = $true
        if ($EAProbe -is [hashtable] -and $EAProbe.ContainsKey('mounted_volumes')) {
            if ($null -eq $EAProbe['mounted_volumes']) { $EAMountedRead = $false }
            foreach ($EAFailure in @($EAProbe['failures'])) {
                if ($EAFailure -is [hashtable] -and $EAFailure['source'] -is [string] -and $EAFailure['source'] -ceq 'Win32_Volume') { $EAMountedRead = $false }
            }
            if ($EAMountedRead) {
                foreach ($EAItem in @($EAProbe['mounted_volumes'])) {
                    if ($EAItem -isnot [hashtable]) { $EAAnswer = 'Malformed'; continue }
                    $EAFolder = ConvertTo-EABitLockerFolder $EAItem['path']
                    if ($null -eq $EAFolder -or $EAFolder -cmatch '^\\\\\?\\') { continue }
                    $EADevice = ConvertTo-EABitLockerText $EAItem['device_id']
                    if ($null -eq $EADevice) { $EADevice = $EAFolder }
                    $EAKey = ConvertTo-EABitLockerDeviceKey $EADevice
                    $EAAt = -1
                    for ($i = 0; $i -lt $EAMountedKeys.Count; $i++) { if ($EAMountedKeys[$i] -ceq $EAKey) { $EAAt = $i } }
                    if ($EAAt -ge 0) { $EAMountedFolders[$EAAt] = $EAFolder } else { $EAMountedKeys += $EAKey; $EAMountedFolders += $EAFolder }
                }
            }
        }
        $EAReported = @()
        $EAOsSeen = $false
        $EAEntries = @()
        if ($null -ne $EAProbe['volumes']) { $EAEntries = @($EAProbe['volumes']) }
        foreach ($EAEntry in $EAEntries) {
            if ($EAEntry -isnot [hashtable]) { $EAAnswer = 'Malformed'; continue }
            $EAMount = ConvertTo-EABitLockerText $EAEntry['mount']
            if ($null -eq $EAMount) { $EAMount = '?' } else { $EAMount = ConvertTo-EABitLockerDrive $EAMount }
            $EAReported += $EAMount
            $EAType = ConvertTo-EABitLockerNumber $EAEntry['volume_type']
            if ($EAType -eq 0) { $EAOsSeen = $true }
            # A fixed volume mounted into a folder, named by its DeviceID: judged under its folder.
            $EAName = $EAMount
            $EAIsMounted = $false
            $EADevice = ConvertTo-EABitLockerText $EAEntry['device_id']
            if ($null -eq $EADevice) { $EADevice = $EAMount }
            $EAKey = ConvertTo-EABitLockerDeviceKey $EADevice
            for ($i = 0; $i -lt $EAMountedKeys.Count; $i++) {
                if ($EAMountedKeys[$i] -ceq $EAKey -and $EAType -ne 0) { $EAIsMounted = $true; $EAName = $EAMountedFolders[$i] }
            }
            if ($EAIsMounted) { $EAReported += $EAKey }
            # BitLocker calls a USB stick a data volume; only fixed disks and the OS volume count.
            if (-not $EAIsMounted -and $EAFixed.Count -gt 0 -and -not ($EAFixed -ccontains $EAMount) -and $EAType -ne 0) { continue }
            # A portable volume that Win32_LogicalDisk lists as a fixed disk is judged.
            if (-not $EAIsMounted -and $EAType -eq 2 -and -not ($EAFixed -ccontains $EAMount)) { continue }
            $EAStatusName = ConvertTo-EABitLockerText $EAEntry['volume_status_name']
            $EACode = ConvertTo-EABitLockerNumber $EAEntry['volume_status']
            $EAStatus = -1
            if ($null -ne $EAStatusName) {
                $EANames = @{ 'fullydecrypted' = 0; 'fullyencrypted' = 1; 'encryptioninprogress' = 2; 'decryptioninprogress' = 3; 'encryptionpaused' = 4; 'decryptionpaused' = 5; 'encryptionsuspended' = 4; 'decryptionsuspended' = 5; 'fullyencryptedwipeinprogress' = 1; 'fullyencryptedwipesuspended' = 1 }
                $EAStatusKey = ConvertTo-EABitLockerLower $EAStatusName
                foreach ($EAKnown in $EANames.Keys) { if ($EAKnown -ceq $EAStatusKey) { $EAStatus = $EANames[$EAKnown] } }
            } elseif ($null -eq $EACode) {
                if ($null -eq $EAEntry['volume_status']) { $EAStatus = $null }
            } elseif ($EACode -ge 0 -and $EACode -le 5) {
                $EAStatus = $EACode
            }
            $EAProtection = ConvertTo-EABitLockerNumber $EAEntry['protection_status']
            $EALocked = (ConvertTo-EABitLockerNumber $EAEntry['lock_status']) -eq 1
            # Protected: fully encrypted with protection on, or locked (encrypted, its key
            # not in the clear) and protection not reported off.
            $EAProtected = ($EAStatus -eq 1 -and $EAProtection -eq 1) -or ($EALocked -and ($null -eq $EAStatus -or $EAStatus -eq 1) -and $EAProtection -ne 0)
            $EAVolumes += @{ name = $EAName; protected = [bool]$EAProtected; os = ($EAType -eq 0) }
        }
        # A fixed drive BitLocker did not list is not known to be encrypted.
        foreach ($EADrive in $EAFixed) {
            if (-not ($EAReported -ccontains $EADrive)) { $EAVolumes += @{ name = $EADrive; protected = $false; os = $false } }
        }
        # Nor is a fixed volume mounted into a folder that BitLocker did not list.
        for ($i = 0; $i -lt $EAMountedKeys.Count; $i++) {
            if (-not ($EAReported -ccontains $EAMountedKeys[$i])) { $EAVolumes += @{ name = $EAMountedFolders[$i]; protected = $false; os = $false } }
        }
        # Windows always runs from an OS volume: an answer without one did not show it.
        if ($EAVolumes.Count -gt 0 -and -not $EAOsSeen) { $EAVolumes += @{ name = 'OS volume'; protected = $false; os = $true } }
        # Every Windows PC has a fixed drive: none listed means Win32_LogicalDisk was not
        # read, and a fixed drive BitLocker does not list would go unseen.
        if ($EAVolumes.Count -gt 0 -and $EAFixed.Count -eq 0) { $EAVolumes += @{ name = 'fixed drives'; protected = $false; os = $false } }
        # Win32_Volume unread: a fixed volume mounted into a folder would go unseen.
        if ($EAVolumes.Count -gt 0 -and -not $EAMountedRead) { $EAVolumes += @{ name = 'folder-mounted volumes'; protected = $false; os = $false } }
        if ($EAVolumes.Count -eq 0) { $EAAnswer = 'NoVolumes' }
    }
    if ($EABitLockerOdd) { $EAAnswer = 'Unrecognised' }
    $EASettings['BitLockerAnswer'] = $EAAnswer
    if ($EAAnswer -ceq 'Read') {
        # The OS volume is judged whatever the exclusions call it, as check.py does.
        $EAJudged = @($EAVolumes | Where-Object { $_['os'] -or -not (Test-EABitLockerExcluded $_['name']) })
        $EASettings['BitLockerVolumesJudged'] = [int64]$EAJudged.Count
        $EASettings['BitLockerVolumesUnprotected'] = [int64]@($EAJudged | Where-Object { -not $_['protected'] }).Count
    }
}
