# os_support as Intune custom compliance settings, from the answer of os_edition.ps1
# ($EAProbe; $null when it failed) and the support data embedded before this snippet at
# export ($EAOsSupportDated, $EAOsSupportWindows, $EAOsSupportOffice: days counted from
# 0001-01-01; the edition classes, ESU licence IDs and Office product IDs of windows.py
# and office.py). The reading of windows.py, office.py and check.py, never looser: what
# is not seen dated counts against the device. Dates are days of the PC's clock (UTC).
# Texts are read when they are ASCII (builds, GUIDs, product IDs and codes).
$EAOsSupportUnread = [int64]99999
$EAOsSupportUpper = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'
$EAOsSupportLower = 'abcdefghijklmnopqrstuvwxyz'
function ConvertTo-EAOsSupportNumber($Value) {
    # As the tool reads JSON numbers: a boolean is no number; ASCII digits in a string count.
    if ($null -eq $Value -or $Value -is [bool]) { return $null }
    if ($Value -is [int] -or $Value -is [long] -or $Value -is [int16] -or $Value -is [byte] -or $Value -is [uint16] -or $Value -is [uint32]) { return [int64]$Value }
    if ($Value -is [string] -and $Value -cmatch '^[ \t\r\n]*(-?[0-9]{1,18})[ \t\r\n]*\z') { return [int64]$Matches[1] }
    return $null
}
function ConvertTo-EAOsSupportLower($Text) {
    # ASCII letters only, whatever the culture (ToLower() makes I a dotless i in tr-TR).
    for ($i = 0; $i -lt 26; $i++) { $Text = $Text -creplace $EAOsSupportUpper[$i], $EAOsSupportLower[$i] }
    return $Text
}
function Get-EAOsSupportOfficeRelease($Id) {
    # release_of (office.py) for an ASCII product ID: its key in the data, or $null.
    $EALow = ConvertTo-EAOsSupportLower $Id
    if ($EALow -clike 'o365*') { return '365' }
    if ($EALow -cmatch '(2019|2021|2024)(retail|volume)$') {
        if ($Matches[2] -ceq 'volume' -and $Matches[1] -cne '2019') { return $Matches[1] + '-ltsc' }
        return $Matches[1]
    }
    if ($EAOsSupportAmbiguous -ccontains $EALow) { return $null }
    if ($EAOsSupport2016 -ccontains $EALow) { return '2016' }
    return $null
}
$EAToday = [int64]([datetime]::UtcNow.Date.Ticks / 864000000000)
# Dated (judged by its date), or why not: Server, NotInData (the build, or older than every
# build listed), EditionNotInData, OnlyLtsc, EditionUnknown, EsuUnknown, Unknown.
$EASettings['OsSupportState'] = 'Unknown'
# Days to the end of support of the build and edition (ESU years licensed counted); below
# 0 ended; -99999 not dated.
$EASettings['OsSupportDaysLeft'] = -$EAOsSupportUnread
# Days since the embedded data's date; 99999 no usable data.
$EASettings['OsSupportDataAgeDays'] = $EAOsSupportUnread
# Days to the end of support of the Office product that ends first; 99999 no Office;
# -99999 a product not dated (Microsoft 365 Apps, an ID not known) or Office not read.
$EASettings['OfficeSupportDaysLeft'] = -$EAOsSupportUnread
if ($EAOsSupportDated -ge 0) { $EASettings['OsSupportDataAgeDays'] = [int64]($EAToday - $EAOsSupportDated) }
if ($null -ne $EAProbe) {
    # An answer the tool refuses (no ESU entry, Office not an object) is an error there.
    $EAOffice = $EAProbe['office']
    $EAMalformed = -not $EAProbe.ContainsKey('esu')
    if ($null -ne $EAOffice -and $EAOffice -isnot [hashtable]) { $EAMalformed = $true }
    if ($EAOffice -is [hashtable] -and $null -ne $EAOffice['c2r'] -and $EAOffice['c2r'] -isnot [hashtable]) { $EAMalformed = $true }
    $EABuild = $EAProbe['build']
    $EARelease = $null
    if ($EABuild -is [string] -and $EABuild -cmatch '^[ \t\r\n]*([0-9]+)[ \t\r\n]*\z') { $EARelease = $Matches[1] }
    $EASku = ConvertTo-EAOsSupportNumber $EAProbe['sku']
    $EAType = ConvertTo-EAOsSupportNumber $EAProbe['product_type']
    $EAEdition = $null
    if ($null -ne $EAType -and $EAType -ne 1) {
        $EAEdition = 'server'
    } elseif ($null -ne $EASku -and $EAOsSupportEnterprise -contains $EASku) {
        $EAEdition = 'enterprise'
    } elseif ($null -ne $EASku -and $EAOsSupportLtsc -contains $EASku) {
        $EAEdition = 'ltsc'
    } elseif ($null -ne $EASku -and $EAOsSupportClient -contains $EASku) {
        $EAEdition = 'client'
    }
    if ($EAMalformed -or $null -eq $EARelease -or $EAOsSupportDated -lt 0) {
        $EASettings['OsSupportState'] = 'Unknown'
    } elseif ($EAEdition -ceq 'server') {
        $EASettings['OsSupportState'] = 'Server'
    } elseif (-not $EAOsSupportWindows.ContainsKey($EARelease)) {
        $EASettings['OsSupportState'] = 'NotInData'
    } else {
        $EARel = $EAOsSupportWindows[$EARelease]
        $EAEnd = $null
        if ($null -ne $EAEdition) {
            $EAEnd = $EARel[$EAEdition]
        } else {
            # The edition is not known: the earliest date of the build, never later than its own,
            # when both general classes are dated (a class without a date may have ended).
            foreach ($EAName in @('client', 'enterprise', 'ltsc')) {
                if ($null -eq $EARel['client'] -or $null -eq $EARel['enterprise']) { break }
                $EADate = $EARel[$EAName]
                if ($null -ne $EADate -and ($null -eq $EAEnd -or $EADate -lt $EAEnd)) { $EAEnd = $EADate }
            }
        }
        if ($null -eq $EAEnd) {
            if ($null -ne $EARel['ltsc'] -and ($EAEdition -ceq 'client' -or $EAEdition -ceq 'enterprise')) {
                $EASettings['OsSupportState'] = 'OnlyLtsc'
            } else {
                $EASettings['OsSupportState'] = 'EditionNotInData'
            }
        } elseif ($null -eq $EAEdition -and $EAEnd -lt $EAToday) {
            $EASettings['OsSupportState'] = 'EditionUnknown'
        } else {
            $EAState = 'Dated'
            if ($EAEnd -lt $EAToday -and $EARel['esu'].Count -gt 0 -and $EAEdition -cne 'ltsc') {
                # Extended Security Updates: each year's licence covers its own year only.
                $EAEsuError = $EAProbe['esu_error']
                if ($EAEsuError -is [string] -and $EAEsuError.Length -gt 0) {
                    $EAState = 'EsuUnknown'
                } elseif ($null -ne $EAProbe['esu']) {
                    $EAHeld = @{}
                    foreach ($EAEntry in @($EAProbe['esu'])) {
                        if ($EAEntry -isnot [hashtable]) { continue }
                        $EAId = $EAEntry['id']
                        if ($EAId -isnot [string] -or -not ($EAId -cmatch '^[0-9A-Fa-f-]+\z')) { continue }
                        $EAYear = $EAOsSupportEsuIds[(ConvertTo-EAOsSupportLower $EAId)]
                        $EAStatus = ConvertTo-EAOsSupportNumber $EAEntry['license_status']
                        if ($null -eq $EAYear -or $EAStatus -ne 1) { continue }
                        $EAHeld[[string]$EAYear] = $true
                    }
                    # As check.py: a year's licence covers its own year only (from the end of
                    # the year before it); support runs from the held year that holds today
                    # through the years held after it without a gap, else it ended with the
                    # last year held before today.
                    $EAEsu = $EARel['esu']
                    $EARunning = $null
                    $EABefore = $null
                    foreach ($EAKey in @($EAEsu.Keys)) {
                        if (-not $EAHeld.ContainsKey($EAKey)) { continue }
                        $EAYearEnd = $EAEsu[$EAKey]
                        $EAStart = $EAEnd
                        foreach ($EAOther in @($EAEsu.Values)) {
                            if ($EAOther -lt $EAYearEnd -and $EAOther -gt $EAStart) { $EAStart = $EAOther }
                        }
                        if ($EAStart -lt $EAToday -and $EAToday -le $EAYearEnd) {
                            if ($null -eq $EARunning -or $EAYearEnd -gt $EARunning) { $EARunning = $EAYearEnd }
                        } elseif ($EAYearEnd -lt $EAToday -and ($null -eq $EABefore -or $EAYearEnd -gt $EABefore)) {
                            $EABefore = $EAYearEnd
                        }
                    }
                    if ($null -ne $EARunning) {
                        $EAGrowing = $true
                        while ($EAGrowing) {
                            $EAGrowing = $false
                            $EAFollowing = $null
                            foreach ($EAOther in @($EAEsu.Values)) {
                                if ($EAOther -gt $EARunning -and ($null -eq $EAFollowing -or $EAOther -lt $EAFollowing)) { $EAFollowing = $EAOther }
                            }
                            if ($null -ne $EAFollowing) {
                                foreach ($EAKey in @($EAEsu.Keys)) {
                                    if ($EAHeld.ContainsKey($EAKey) -and $EAEsu[$EAKey] -eq $EAFollowing) { $EAGrowing = $true }
                                }
                                if ($EAGrowing) { $EARunning = $EAFollowing }
                            }
                        }
                        $EAEnd = $EARunning
                    } elseif ($null -ne $EABefore) {
                        $EAEnd = $EABefore
                    }
                }
            }
            $EASettings['OsSupportState'] = $EAState
            if ($EAState -ceq 'Dated') { $EASettings['OsSupportDaysLeft'] = [int64]($EAEnd - $EAToday) }
        }
    }
    # Office: every product installed, dated by its release.
    if (-not $EAMalformed -and $EAOffice -is [hashtable]) {
        $EAOfficeError = $EAOffice['error']
        $EAReleases = @()
        $EAUnknown = $EAOfficeError -is [string] -and $EAOfficeError.Length -gt 0
        $EAConfig = $EAOffice['c2r']
        if (-not $EAUnknown -and $null -ne $EAConfig) {
            $EAIds = $EAConfig['ProductReleaseIds']
            if ($null -ne $EAIds -and $EAIds -isnot [string]) {
                $EAUnknown = $true
            } elseif ($null -ne $EAIds) {
                foreach ($EAPart in ($EAIds -csplit ',')) {
                    $EAId = $EAPart -creplace '^[ \t\r\n]+|[ \t\r\n]+\z', ''
                    if ($EAId.Length -eq 0) { continue }
                    if (-not ($EAId -cmatch '^[!-~]+\z')) { $EAUnknown = $true; continue }
                    if ($EAOsSupportNotProducts -ccontains (ConvertTo-EAOsSupportLower $EAId)) { continue }
                    $EAOne = Get-EAOsSupportOfficeRelease $EAId
                    if ($null -eq $EAOne) { $EAUnknown = $true } else { $EAReleases += $EAOne }
                }
            }
        }
        if (-not $EAUnknown -and $null -ne $EAOffice['msi']) {
            foreach ($EACode in @($EAOffice['msi'])) {
                if ($EACode -isnot [string]) { continue }
                if (-not ($EACode -cmatch '^[\x00-\x7F]*\z')) { $EAUnknown = $true; continue }
                if ($EACode -cmatch '^\{90160000-001[12]-0000-[01]000-0000000[Ff][Ff]1[Cc][Ee]\}$') { $EAReleases += '2016' }
                elseif ($EACode -cmatch '^\{[9A-Fa-f][0-9A-Fa-f]1([245])0000-[0-9A-Fa-f]{4}-0000-[01]000-0000000[Ff][Ff]1[Cc][Ee]\}$') {
                    # Office 2007, 2010, 2013 (office.py MSI_OLD): dated by their release.
                    $EAReleases += @{ '2' = '2007'; '4' = '2010'; '5' = '2013' }[$Matches[1]]
                }
            }
        }
        if (-not $EAUnknown) {
            $EALeft = $EAOsSupportUnread
            foreach ($EAOne in $EAReleases) {
                $EADate = $null
                if ($EAOsSupportOffice.ContainsKey($EAOne)) { $EADate = $EAOsSupportOffice[$EAOne] }
                if ($null -eq $EADate) { $EAUnknown = $true; continue }
                if ($EADate - $EAToday -lt $EALeft) { $EALeft = [int64]($EADate - $EAToday) }
            }
            if (-not $EAUnknown) { $EASettings['OfficeSupportDaysLeft'] = [int64]$EALeft }
        }
    }
}
