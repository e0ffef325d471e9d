# local_admins as Intune custom compliance settings, from the answer of local_admins.ps1
# ($EAProbe; $null when it failed), $EALocalAdminsAllowed (the baseline's allowed patterns
# as regular expressions, intune.allowed_regex) and $EALocalAdminsBuiltinAllowed, set
# before this snippet. The reading of windows.py and check.py, never looser: members by
# SID, the built-in Administrator by RID 500 of this PC (never by its localized name).
# Texts are compared where they are printable ASCII or Japanese kana and kanji (no case);
# a path of another text is not compared, a SID of another text is Unrecognised.
$EALocalAdminsChar = '[!-~\u3001-\u303F\u3041-\u309F\u30A0-\u30FF\u4E00-\u9FFF\uFF66-\uFF9F]'
$EALocalAdminsTextForm = '^[ \t\r\n]*(' + $EALocalAdminsChar + '(?:(?:' + $EALocalAdminsChar + '| )*' + $EALocalAdminsChar + ')?)[ \t\r\n]*\z'
function Get-EALocalAdminsValue($Table, [string]$Name) {
    # The value under exactly $Name, as windows.py reads a JSON key (a hashtable ignores
    # case); the leading comma keeps a list a list.
    if ($Table -isnot [hashtable]) { return $null }
    foreach ($EAKey in @($Table.Keys)) {
        if ($EAKey -is [string] -and $EAKey -ceq $Name) { return ,($Table[$EAKey]) }
    }
    return $null
}
function Test-EALocalAdminsBlank($Value) {
    # What windows.py reads as no text: not a string, or blanks only.
    return ($Value -isnot [string] -or $Value -cmatch '^[ \t\r\n]*\z')
}
function ConvertTo-EALocalAdminsText($Value) {
    # A text the script compares, trimmed; $null for any other value.
    if ($Value -is [string] -and $Value -cmatch $EALocalAdminsTextForm) { return $Matches[1] }
    return $null
}
$EALocalAdminsUpper = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'
$EALocalAdminsLower = 'abcdefghijklmnopqrstuvwxyz'
function ConvertTo-EALocalAdminsLower($Text) {
    # ASCII letters only, whatever the culture (ToLower() makes I a dotless i in tr-TR);
    # kana and kanji have no case.
    for ($i = 0; $i -lt 26; $i++) { $Text = $Text -creplace $EALocalAdminsUpper[$i], $EALocalAdminsLower[$i] }
    return $Text
}
function Test-EALocalAdminsAllowed($Candidates) {
    foreach ($EAPattern in $EALocalAdminsAllowed) {
        foreach ($EACandidate in $Candidates) { if ($EACandidate -cmatch $EAPattern) { return $true } }
    }
    return $false
}
$EASettings['LocalAdminsAnswer'] = 'Unknown'
$EASettings['LocalAdminsUnexpected'] = [int64]-1
$EASettings['LocalAdminsUnjudged'] = [int64]-1
if ($null -ne $EAProbe) {
    $EAAnswer = 'Read'
    $EAListed = $false
    foreach ($EAKey in @($EAProbe.Keys)) { if ($EAKey -is [string] -and $EAKey -ceq 'members') { $EAListed = $true } }
    $EAEntries = @()
    if (-not $EAListed) {
        $EAAnswer = 'NoList'
    } elseif (-not (Test-EALocalAdminsBlank (Get-EALocalAdminsValue $EAProbe 'members_error'))) {
        $EAAnswer = 'Unread'
    } else {
        $EARaw = Get-EALocalAdminsValue $EAProbe 'members'
        if ($null -ne $EARaw) {
            $EAItems = @($EARaw)
            $EAEntries = @($EAItems | Where-Object { $_ -is [hashtable] })
            # A member that is no object is one not read, never one left out (windows.py).
            if ($EAEntries.Count -ne $EAItems.Count) { $EAAnswer = 'WithoutSid' }
        }
        foreach ($EAEntry in $EAEntries) {
            $EASidValue = Get-EALocalAdminsValue $EAEntry 'sid'
            if (Test-EALocalAdminsBlank $EASidValue) {
                $EAAnswer = 'WithoutSid'
            } elseif ($null -eq (ConvertTo-EALocalAdminsText $EASidValue) -and $EAAnswer -ceq 'Read') {
                $EAAnswer = 'Unrecognised'
            }
        }
        if ($EAAnswer -ceq 'Read' -and $EAEntries.Count -eq 0) { $EAAnswer = 'NoMembers' }
    }
    if ($EAAnswer -ceq 'Read') {
        $EABuiltin = Get-EALocalAdminsValue $EAProbe 'builtin'
        $EABuiltinSid = ConvertTo-EALocalAdminsText (Get-EALocalAdminsValue $EABuiltin 'sid')
        $EADisabled = Get-EALocalAdminsValue $EABuiltin 'disabled'
        $EASeen = @()
        $EAUnexpected = 0
        $EAUnjudged = 0
        foreach ($EAEntry in $EAEntries) {
            $EASid = ConvertTo-EALocalAdminsText (Get-EALocalAdminsValue $EAEntry 'sid')
            # One member per SID, judged as its first entry (check.py merges them so).
            if ($EASeen -ccontains $EASid) { continue }
            $EASeen += $EASid
            $EASidKey = ConvertTo-EALocalAdminsLower $EASid
            $EABuiltinForm = $EASid -cmatch '^(?=S-1-5-21-)[\s\S]*-500\z'
            $EAPathValue = Get-EALocalAdminsValue $EAEntry 'path'
            $EAPath = ''
            if (-not (Test-EALocalAdminsBlank $EAPathValue)) {
                $EAPath = ConvertTo-EALocalAdminsText $EAPathValue
                if ($null -eq $EAPath) {
                    # Neither its name nor whether it is this PC's account can be read as
                    # the check reads them: allowed only by its SID, never as RID 500.
                    if ($EABuiltinForm -or -not (Test-EALocalAdminsAllowed @($EASidKey))) { $EAUnjudged++ }
                    continue
                }
            }
            # WinNT://DOMAIN/COMPUTER/name: an account of this PC; WinNT://DOMAIN/name:
            # of a domain; WinNT://S-1-...: a SID no name resolves for.
            $EAParts = @()
            if ($EAPath -cmatch '^[Ww][Ii][Nn][Nn][Tt]://') { $EAParts = @(($EAPath -creplace '^[Ww][Ii][Nn][Nn][Tt]://', '') -csplit '/') }
            if ($EAParts.Count -eq 3 -and $EABuiltinForm) {
                $EAEnabled = $null
                if ($null -ne $EABuiltinSid -and $EABuiltinSid -ceq $EASid -and $EADisabled -is [bool]) { $EAEnabled = -not $EADisabled }
                # Disabled, it cannot sign in and counts as absent.
                if ($EALocalAdminsBuiltinAllowed -or ($EAEnabled -is [bool] -and -not $EAEnabled)) { continue }
                if ($null -eq $EAEnabled) { $EAUnjudged++ } else { $EAUnexpected++ }
                continue
            }
            $EACandidates = @($EASidKey)
            if ($EAParts.Count -ge 2) {
                $EACandidates += (ConvertTo-EALocalAdminsLower ([string]$EAParts[-2] + '\' + [string]$EAParts[-1]))
            }
            if (-not (Test-EALocalAdminsAllowed $EACandidates)) { $EAUnexpected++ }
        }
        $EASettings['LocalAdminsUnexpected'] = [int64]$EAUnexpected
        $EASettings['LocalAdminsUnjudged'] = [int64]$EAUnjudged
    }
    $EASettings['LocalAdminsAnswer'] = $EAAnswer
}
