# patch_level as Intune custom compliance settings, from the answers of windows_update.ps1
# ($EAProbe) and windows_update_pending.ps1 ($EAProbes['windows_update_pending']: $null
# where it failed, ran out of time or the script is not in FullLanguage, as its COM search
# needs), and the release table embedded before this snippet at export ($EAPatchAsOf,
# $EAPatchMonths, $EAPatchBuilds: days counted from 0001-01-01, months as yyyymm). The
# reading of windows.py and check.py, never looser: what is not seen counts against the
# device. Dates are days of the PC's clock (UTC), counted with integers only (CLM).
$EAPatchUnread = [int64]99999
function Get-EAPatchDay([int64]$Year, [int64]$Month, [int64]$Day) {
    # Days since 0001-01-01 of a valid date, else $null.
    if ($Year -lt 1 -or $Month -lt 1 -or $Month -gt 12 -or $Day -lt 1) { return $null }
    $EALeap = ($Year % 4 -eq 0 -and $Year % 100 -ne 0) -or $Year % 400 -eq 0
    $EALengths = @(31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
    if ($EALeap) { $EALengths[1] = 29 }
    if ($Day -gt $EALengths[$Month - 1]) { return $null }
    $EAY = $Year - 1
    $EADays = 365 * $EAY + ($EAY - $EAY % 4) / 4 - ($EAY - $EAY % 100) / 100 + ($EAY - $EAY % 400) / 400
    for ($i = 0; $i -lt $Month - 1; $i++) { $EADays += $EALengths[$i] }
    return [int64]($EADays + $Day - 1)
}
function ConvertTo-EAPatchNumber($Value) {
    # As the tool reads JSON numbers: a boolean is no number; ASCII digits in a string count.
    if ($null -eq $Value -or $Value -is [bool]) { return $null }
    if ($Value -is [int] -or $Value -is [long] -or $Value -is [int16] -or $Value -is [byte] -or $Value -is [uint16] -or $Value -is [uint32]) { return [int64]$Value }
    if ($Value -is [string] -and $Value -cmatch '^[ \t\r\n]*(-?[0-9]{1,18})[ \t\r\n]*\z') { return [int64]$Matches[1] }
    return $null
}
function ConvertTo-EAPatchText($Value) {
    # A text trimmed of ASCII blanks; $null when not a text or blank.
    if ($Value -isnot [string]) { return $null }
    $EAText = $Value -creplace '^[ \t\r\n]+|[ \t\r\n]+\z', ''
    if ($EAText.Length -eq 0) { return $null }
    return $EAText
}
function Get-EAPatchItems($Value) {
    if ($null -eq $Value) { return @() }
    return @($Value)
}
$EANowTicks = [datetime]::UtcNow.Ticks
$EAToday = [int64](($EANowTicks - $EANowTicks % 864000000000) / 864000000000)
$EANowSeconds = [int64](($EANowTicks - $EANowTicks % 10000000) / 10000000)
# Security and critical updates waiting (definition updates not counted); 99999 not listed.
$EASettings['PatchPendingSecurityUpdates'] = $EAPatchUnread
# Days since the newest monthly cumulative update of the build was installed; 99999 not read.
$EASettings['PatchDaysSinceUpdate'] = $EAPatchUnread
# 1 a restart marker is set, 0 none, -1 not read.
$EASettings['PatchRebootPending'] = [int64]-1
# Current, or why not: Behind, NotServiced, NotInTable, TooNew, TableStale, Server, Unknown.
$EASettings['PatchMonthlyUpdate'] = 'Unknown'
$EAPending = $EAProbes['windows_update_pending']
if ($null -ne $EAProbe -and $EAPending -is [hashtable]) {
    $EAScan = $null
    $EAScanText = ConvertTo-EAPatchText $EAPending['last_search_success']
    if ($null -ne $EAScanText -and $EAScanText -cmatch '^([0-9]{4})-([0-9]{2})-([0-9]{2})T([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9])Z\z') {
        $EAScanDay = Get-EAPatchDay ([int64]$Matches[1]) ([int64]$Matches[2]) ([int64]$Matches[3])
        if ($null -ne $EAScanDay) { $EAScan = $EAScanDay * 86400 + [int64]$Matches[4] * 3600 + [int64]$Matches[5] * 60 + [int64]$Matches[6] }
    }
    $EASearch = $EAPending['search']
    if ($null -ne $EAScan -and $EASearch -is [hashtable] -and $EASearch['finished'] -is [bool] -and $EASearch['finished']) {
        $EAAge = $EANowSeconds - $EAScan
        $EAValue = $EASearch['value']
        # A scan 7 days old or more, or a day ahead of the clock, cannot vouch for the list.
        if ($EAAge -lt 604800 -and -$EAAge -le 86400 -and $EAValue -is [hashtable]) {
            $EACode = ConvertTo-EAPatchNumber $EAValue['result_code']
            $EAUpdates = $EAValue['updates']
            # 3 (succeeded with errors) may list too few: not counted (the check: unknown).
            if ($EACode -eq 2 -and $EAUpdates -is [array]) {
                $EACount = [int64]0
                $EAOdd = $false
                foreach ($EAUpdate in $EAUpdates) {
                    if ($EAUpdate -isnot [hashtable]) { $EAOdd = $true; continue }
                    $EACategories = @(Get-EAPatchItems $EAUpdate['categories'] | ForEach-Object { [string]$_ })
                    if ($EACategories -contains 'e0789628-ce08-4437-be74-2495b842f43b') { continue }
                    if ($null -ne (ConvertTo-EAPatchText $EAUpdate['msrc_severity']) -or $EACategories -contains '0fa1201d-4330-4fa8-8ae9-b877473b6441' -or $EACategories -contains 'e6cf1350-c01b-414d-a61f-263d14d133b4') { $EACount += 1 }
                }
                if (-not $EAOdd) { $EASettings['PatchPendingSecurityUpdates'] = $EACount }
            }
        }
    }
}
$EACurrent = $null
if ($null -ne $EAProbe -and $EAProbe.ContainsKey('wow64')) { $EACurrent = $EAProbe['current_version'] }
if ($EACurrent -is [hashtable] -and $EACurrent['found'] -is [bool] -and $EACurrent['found']) {
    # A marker counts as absent only when its parent key was read.
    $EAMarkers = @(@($EAProbe['cbs_found'], $EAProbe['cbs_reboot_pending']), @($EAProbe['wu_found'], $EAProbe['wu_reboot_required']))
    $EASet = $false
    $EAClear = $true
    foreach ($EAMarker in $EAMarkers) {
        $EAParent = $EAMarker[0]
        $EAHere = $EAMarker[1]
        if ($EAHere -is [bool] -and $EAHere) { $EASet = $true }
        if (-not ($EAParent -is [bool] -and $EAParent -and $EAHere -is [bool] -and -not $EAHere)) { $EAClear = $false }
    }
    if ($EASet) { $EASettings['PatchRebootPending'] = [int64]1 } elseif ($EAClear) { $EASettings['PatchRebootPending'] = [int64]0 }
    $EAValues = $EACurrent['values']
    if ($EAValues -isnot [hashtable]) { $EAValues = @{} }
    $EABuildText = $EAValues['CurrentBuildNumber']
    $EABuild = $null
    if ($EABuildText -is [string] -and $EABuildText -cmatch '^[0-9]{1,9}\z') { $EABuild = [string][int64]$EABuildText }
    $EAUbr = ConvertTo-EAPatchNumber $EAValues['UBR']
    $EAEntry = $null
    if ($null -ne $EABuild -and $EAPatchAsOf -ge 0) {
        if ($EAPatchBuilds.ContainsKey($EABuild)) { $EAEntry = $EAPatchBuilds[$EABuild] } else { $EASettings['PatchMonthlyUpdate'] = 'NotInTable' }
    }
    if ($null -ne $EAEntry -and $null -eq (ConvertTo-EAPatchText $EAProbe['hotfix_error'])) {
        # The newest install of a cumulative update of the build that the table lists.
        $EABest = $null
        $EABestMonth = $null
        $EAUndated = @()
        $EAOdd = $false
        foreach ($EAFix in (Get-EAPatchItems $EAProbe['hotfixes'])) {
            if ($EAFix -isnot [hashtable]) { continue }
            $EAKb = ConvertTo-EAPatchText $EAFix['id']
            if ($null -eq $EAKb -or -not ($EAKb -cmatch '^[Kk][Bb]([0-9]{6,8})\z')) {
                # An ID the tool might read differently (other blanks): never judged.
                if ($null -ne $EAKb -and $EAKb -cmatch '[Kk][Bb][0-9]') { $EAOdd = $true }
                continue
            }
            $EAKey = 'KB' + $Matches[1]
            if (-not $EAEntry['kbs'].ContainsKey($EAKey)) { continue }
            $EAMonth = $EAEntry['kbs'][$EAKey]
            $EADay = $null
            $EAOn = ConvertTo-EAPatchText $EAFix['installed_on']
            # M/d/yyyy only: a FILETIME counts as unreadable (stricter than the tool).
            if ($null -eq (ConvertTo-EAPatchText $EAFix['error']) -and $null -ne $EAOn -and $EAOn -cmatch '^([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})\z') {
                $EADay = Get-EAPatchDay ([int64]$Matches[3]) ([int64]$Matches[1]) ([int64]$Matches[2])
            }
            if ($null -eq $EADay) {
                $EAUndated += $EAMonth
            } elseif ($null -eq $EABest -or $EADay -gt $EABest) {
                $EABest = $EADay
                $EABestMonth = $EAMonth
            }
        }
        $EALater = $null -eq $EABest
        foreach ($EAMonth in $EAUndated) { if ($null -ne $EABestMonth -and $EAMonth -gt $EABestMonth) { $EALater = $true } }
        # Installed ahead of the PC's clock by more than a day: not believed.
        if (-not $EAOdd -and -not $EALater -and $EABest - $EAToday -le 1) {
            $EADays = $EAToday - $EABest
            if ($EADays -lt 0) { $EADays = 0 }
            $EASettings['PatchDaysSinceUpdate'] = [int64]$EADays
        }
    }
    $EAKind = ConvertTo-EAPatchText $EAValues['InstallationType']
    if ($null -ne $EAEntry -and $null -ne $EAUbr -and $EAUbr -ge 0 -and $null -ne $EAKind) {
        if (-not ($EAKind -cmatch '^[Cc][Ll][Ii][Ee][Nn][Tt]\z')) {
            $EASettings['PatchMonthlyUpdate'] = 'Server'
        } else {
            # The monthly releases of the build: the one required by the cutoff (the
            # lowest UBR of its day) and the newest one the PC's UBR reaches.
            $EACutoff = $EAToday - $EAPatchGraceDays
            $EARequired = $null
            $EALevel = $null
            foreach ($EARelease in $EAEntry['monthly']) {
                if ($EARelease[0] -le $EACutoff -and ($null -eq $EARequired -or $EARelease[0] -gt $EARequired[0] -or ($EARelease[0] -eq $EARequired[0] -and $EARelease[1] -lt $EARequired[1]))) { $EARequired = $EARelease }
                if ($EAUbr -ge $EARelease[1] -and ($null -eq $EALevel -or $EARelease[0] -gt $EALevel[0])) { $EALevel = $EARelease }
            }
            $EANewest = $null
            foreach ($EARelease in $EAPatchMonths) { if ($EARelease[0] -le $EACutoff) { $EANewest = $EARelease[1] } }
            if ($null -eq $EARequired) {
                $EASettings['PatchMonthlyUpdate'] = 'TooNew'
            } elseif ($null -eq $EALevel -or $EALevel[0] -lt $EARequired[0]) {
                $EASettings['PatchMonthlyUpdate'] = 'Behind'
            } elseif ($null -ne $EANewest -and $EARequired[2] -lt $EANewest) {
                $EASettings['PatchMonthlyUpdate'] = 'NotServiced'
            } elseif ($EAPatchAsOf -lt $EACutoff) {
                $EASettings['PatchMonthlyUpdate'] = 'TableStale'
            } else {
                $EASettings['PatchMonthlyUpdate'] = 'Current'
            }
        }
    }
}
