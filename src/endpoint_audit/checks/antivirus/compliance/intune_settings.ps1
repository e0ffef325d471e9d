# antivirus as Intune custom compliance settings, from the answer of antivirus_status.ps1
# ($EAProbe; $null when it failed) and $EAAntivirusAccepted (the baseline's
# accepted_products, case-folded as check.py folds them, set before this snippet). The
# reading of windows.py and check.py, never looser: what is not seen protecting counts
# against the device. A text is read when it is printable ASCII, or (a product's name)
# ASCII with Japanese kana and kanji, which have no case; another text the check would
# read makes the protection Unrecognised. Signature ages count whole days to the PC's
# clock, fractions of a second dropped (never younger than the check counts them).
$EAAntivirusOdd = $false
$EAAntivirusUpper = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'
$EAAntivirusLower = 'abcdefghijklmnopqrstuvwxyz'
$EAAntivirusUnread = [int64]99999
function ConvertTo-EAAntivirusText($Value, [bool]$Kana) {
    # What the tool reads as a text: a string with something besides blanks, trimmed.
    if ($Value -isnot [string] -or $Value -cmatch '^[ \t\r\n]*\z') { return $null }
    $EAChar = '[!-~]'
    if ($Kana) { $EAChar = '[!-~\u3001-\u303F\u3041-\u309F\u30A0-\u30FF\u4E00-\u9FFF\uFF66-\uFF9F]' }
    $EAPattern = '^[ \t\r\n]*(' + $EAChar + '(?:(?: |' + $EAChar + ')*' + $EAChar + ')?)[ \t\r\n]*\z'
    if ($Value -cmatch $EAPattern) { return $Matches[1] }
    $script:EAAntivirusOdd = $true
    return $null
}
function ConvertTo-EAAntivirusLower($Text) {
    # ASCII letters only, whatever the culture (ToLower() makes I a dotless i in tr-TR).
    for ($i = 0; $i -lt 26; $i++) { $Text = $Text -creplace $EAAntivirusUpper[$i], $EAAntivirusLower[$i] }
    return $Text
}
function ConvertTo-EAAntivirusNumber($Value) {
    # As the tool reads JSON numbers: a boolean is no number; ASCII digits in a string count.
    if ($null -eq $Value -or $Value -is [bool]) { return $null }
    if ($Value -is [int] -or $Value -is [long] -or $Value -is [int16] -or $Value -is [byte] -or $Value -is [uint16] -or $Value -is [uint32]) { return [int64]$Value }
    if ($Value -is [double] -and $Value -ge -1000000000 -and $Value -le 1000000000 -and [int64]$Value -eq $Value) { return [int64]$Value }
    if ($Value -is [string] -and $Value -cmatch '^[ \t\r\n]*(-?[0-9]{1,9})[ \t\r\n]*\z') { return [int64]$Matches[1] }
    return $null
}
function Get-EAAntivirusDays($Text) {
    # Whole days from an ISO 8601 time with its offset to now; -1 for a time not read
    # (then the age is taken as unread: the check may read a form this does not).
    if (-not ($Text -cmatch '^([0-9]{4}-[0-9]{2}-[0-9]{2})T([0-9]{2}:[0-9]{2}:[0-9]{2})(?:\.[0-9]{1,7})?(?:(Z)|([+-])([0-9]{2}):([0-9]{2}))\z')) { return [int64]-1 }
    $EAParts = $Matches
    try {
        $EAWhen = [datetime]::ParseExact($EAParts[1] + ' ' + $EAParts[2], 'yyyy-MM-dd HH:mm:ss', [cultureinfo]::InvariantCulture)
    } catch {
        return [int64]-1
    }
    if ($null -eq $EAParts[3]) {
        $EAOffset = [int]$EAParts[5] * 60 + [int]$EAParts[6]
        if ($EAParts[4] -ceq '-') { $EAOffset = -$EAOffset }
        $EAWhen = $EAWhen - [timespan]::FromMinutes($EAOffset)
    }
    $EADays = ([datetime]::UtcNow - $EAWhen).Days
    if ($EADays -lt 0) { $EADays = 0 }
    return [int64]$EADays
}
$EASettings['AntivirusProtection'] = 'Unknown'
$EASettings['AntivirusProtectedBy'] = 'None'
$EASettings['AntivirusSignatureAgeDays'] = $EAAntivirusUnread
$EASettings['AntivirusSignatures'] = 'Unknown'
$EASettings['AntivirusTamperProtection'] = [int64]-1
if ($null -ne $EAProbe) {
    # Security Center's products, read whoever protects: the check refuses a malformed list.
    $EAMalformed = $false
    $EAProductsRead = $null -ne $EAProbe['products']
    $EAProducts = @()
    if ($EAProductsRead) {
        foreach ($EAEntry in @($EAProbe['products'])) {
            if ($EAEntry -isnot [hashtable]) { $EAMalformed = $true; continue }
            $EACode = ConvertTo-EAAntivirusNumber $EAEntry['product_state']
            # productState (checkkit/security_center.py): state nibble 0x1000 on, owner
            # 0x0100 Windows, signatures 0x0010 out of date, low nibble 0, 24 bits.
            $EADecoded = $false
            $EAOwner = -1
            $EAOnAndCurrent = $false
            if ($null -ne $EACode -and $EACode -ge 0 -and $EACode -le 16777215 -and ($EACode -band 15) -eq 0) {
                $EAState = ($EACode -shr 12) -band 15
                $EAOwner = ($EACode -shr 8) -band 15
                $EASigns = ($EACode -shr 4) -band 15
                $EADecoded = $EAState -le 3 -and $EAOwner -le 1 -and $EASigns -le 1
                $EAOnAndCurrent = $EADecoded -and $EAState -eq 1 -and $EASigns -eq 0
            }
            if ($EADecoded -and $EAOwner -eq 1) { continue }  # Microsoft's own (Defender)
            # Security Center keeps the entries of uninstalled or broken products: on and
            # current counts only with its reporting program on disk and running.
            $EALive = $EAEntry['reporting_exe_exists'] -is [bool] -and $EAEntry['reporting_exe_exists'] -and $EAEntry['reporting_running'] -is [bool] -and $EAEntry['reporting_running'] -and -not ($EAEntry['product_exe_exists'] -is [bool] -and -not $EAEntry['product_exe_exists'])
            $EAProducts += @{ name = $EAEntry['name']; decoded = $EADecoded; protecting = $EAOnAndCurrent -and $EALive; claiming = $EAOnAndCurrent }
        }
    }
    $EADefender = $EAProbe['defender']
    $EAActive = $false
    if ($EADefender -is [hashtable]) {
        $EAMode = ConvertTo-EAAntivirusText $EADefender['running_mode'] $false
        $EAFlags = @($EADefender['service_enabled'], $EADefender['antivirus_enabled'], $EADefender['real_time'])
        $EAOn = @($EAFlags | Where-Object { $_ -is [bool] -and $_ }).Count
        $EAActive = $null -ne $EAMode -and (ConvertTo-EAAntivirusLower $EAMode) -ceq 'normal' -and $EAOn -eq 3
    }
    if ($EAActive) {
        $EASettings['AntivirusProtection'] = 'On'
        $EASettings['AntivirusProtectedBy'] = 'Defender'
        # Defender's own count and the date, whichever is older: neither is trusted alone.
        $EAAge = [int64]-1
        $EARawCount = $EADefender['signature_age_days']
        $EACount = ConvertTo-EAAntivirusNumber $EARawCount
        if ($null -ne $EACount -and $EACount -ge 0) { $EAAge = $EACount }
        # A count this cannot read may be one the check reads (a huge number): unread.
        $EACountUnread = $null -eq $EACount -and $null -ne $EARawCount -and $EARawCount -isnot [bool]
        $EAUpdated = ConvertTo-EAAntivirusText $EADefender['signature_updated'] $false
        if ($null -ne $EAUpdated) {
            $EADays = Get-EAAntivirusDays $EAUpdated
            if ($EADays -lt 0) { $EAAge = $EAAntivirusUnread } elseif ($EADays -gt $EAAge) { $EAAge = $EADays }
        }
        if ($EAAge -lt 0 -or $EACountUnread) { $EAAge = $EAAntivirusUnread }
        $EASettings['AntivirusSignatureAgeDays'] = [int64]$EAAge
        $EAFlagged = $EADefender['signatures_out_of_date']
        if ($EAFlagged -is [bool] -and $EAFlagged) {
            $EASettings['AntivirusSignatures'] = 'OutOfDate'
        } else {
            $EASettings['AntivirusSignatures'] = 'Current'
        }
        $EATamper = $EADefender['tamper_protected']
        if ($EATamper -is [bool] -and $EATamper) {
            $EASettings['AntivirusTamperProtection'] = [int64]1
        } elseif ($EATamper -is [bool]) {
            $EASettings['AntivirusTamperProtection'] = [int64]0
        }
    } elseif ($EAProductsRead) {
        # Defender does not protect (or was not seen): an accepted registered product must.
        $EAAcceptedProducts = $EAProducts
        if ($EAAntivirusAccepted.Count -gt 0) {
            # Part of the name, any case (the names a baseline accepts come folded).
            $EAAcceptedProducts = @($EAProducts | Where-Object {
                $EAName = ConvertTo-EAAntivirusText $_['name'] $true
                if ($null -eq $EAName) { $EAName = '?' }
                $EAFolded = ConvertTo-EAAntivirusLower $EAName
                @($EAAntivirusAccepted | Where-Object { $EAFolded -cmatch [regex]::Escape($_) }).Count -gt 0
            })
        }
        if (@($EAAcceptedProducts | Where-Object { $_['protecting'] }).Count -gt 0) {
            $EASettings['AntivirusProtection'] = 'On'
            $EASettings['AntivirusProtectedBy'] = 'Product'
            # The product's signatures are up to date (productState); tamper protection
            # is Defender's, which the check does not ask of a product (2).
            $EASettings['AntivirusSignatureAgeDays'] = [int64]0
            $EASettings['AntivirusSignatures'] = 'Current'
            $EASettings['AntivirusTamperProtection'] = [int64]2
        } elseif (@($EAAcceptedProducts | Where-Object { $_['claiming'] -or -not $_['decoded'] }).Count -gt 0) {
            $EASettings['AntivirusProtection'] = 'Unknown'
        } elseif ($EAAcceptedProducts.Count -eq 0 -and $EAProducts.Count -gt 0) {
            $EASettings['AntivirusProtection'] = 'NotAccepted'
        } else {
            $EASettings['AntivirusProtection'] = 'Off'
        }
    }
    if ($EAMalformed) { $EASettings['AntivirusProtection'] = 'Malformed' }
    if ($EAAntivirusOdd) { $EASettings['AntivirusProtection'] = 'Unrecognised' }
}
