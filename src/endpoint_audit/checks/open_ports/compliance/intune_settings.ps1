# open_ports as Intune custom compliance settings, from the answer of listening_sockets.ps1
# ($EAProbe; $null when it failed or PowerShell runs in ConstrainedLanguage), of
# file_sharing.ps1, firewall_profiles.ps1 (as @{ profiles }) and firewall_products.ps1
# ($EAProbes), and the baseline's parameters set before this snippet (intune.prelude):
# port ranges as numbers, process names lowered. The reading of windows/__init__.py,
# windows/exposure.py and check.py, never looser: numbers from numeric fields, texts
# compared only where they are printable ASCII (interface names: also Japanese kana and
# kanji, which have no case); any other text makes its part not judged.
# What Python's str.strip() removes: a text of these only is no text.
$EAOpenPortsNonBlank = '[^\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]'
$EAOpenPortsPlain = '^[ -~]*\z'
$EAOpenPortsNameChar = '[!-~\u3001-\u303F\u3041-\u309F\u30A0-\u30FF\u4E00-\u9FFF\uFF66-\uFF9F]'
$EAOpenPortsName = '^(?:' + $EAOpenPortsNameChar + '(?:(?:' + $EAOpenPortsNameChar + '| )*' + $EAOpenPortsNameChar + ')?)?\z'
$EAOpenPortsUpper = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'
$EAOpenPortsLower = 'abcdefghijklmnopqrstuvwxyz'
function ConvertTo-EAOpenPortsNumber($Value) {
    # As the tool reads JSON numbers (checkkit as_int): no boolean; ASCII digits in a
    # string; a whole double. Past 18 digits: not read.
    if ($null -eq $Value -or $Value -is [bool]) { return $null }
    if ($Value -is [int] -or $Value -is [long] -or $Value -is [int16] -or $Value -is [byte] -or $Value -is [uint16] -or $Value -is [uint32] -or ($Value -is [uint64] -and $Value -le 9223372036854775807)) { return [int64]$Value }
    if ($Value -is [double] -and $Value -gt -1e18 -and $Value -lt 1e18 -and $Value -eq [int64]$Value) { return [int64]$Value }
    if ($Value -is [string] -and $Value -cmatch '^[ \t\r\n]*(-?[0-9]{1,18})[ \t\r\n]*\z') { return [int64]$Matches[1] }
    return $null
}
function Test-EAOpenPortsText($Value) {
    # A text the tool reads (checkkit as_text): a string with more than blanks.
    return ($Value -is [string] -and $Value -cmatch $EAOpenPortsNonBlank)
}
function ConvertTo-EAOpenPortsTrimmed([string]$Text) {
    return ($Text -creplace '^[ \t\r\n]+', '' -creplace '[ \t\r\n]+\z', '')
}
function ConvertTo-EAOpenPortsFolded($Value) {
    # What `(text or '').strip().lower()` gives, where that can be told: '' for no text,
    # the text with ASCII letters lowered where it is printable ASCII; else $null.
    if ($Value -isnot [string] -or $Value -cnotmatch $EAOpenPortsNonBlank) { return '' }
    $Text = ConvertTo-EAOpenPortsTrimmed $Value
    if ($Text -cnotmatch $EAOpenPortsPlain) { return $null }
    for ($i = 0; $i -lt 26; $i++) { $Text = $Text -creplace $EAOpenPortsUpper[$i], $EAOpenPortsLower[$i] }
    return $Text
}
function ConvertTo-EAOpenPortsAlias($Value) {
    # An interface name as `.lower()` gives it: ASCII, kana and kanji only; else $null.
    $Text = ConvertTo-EAOpenPortsTrimmed $Value
    if ($Text -cnotmatch $EAOpenPortsName) { return $null }
    for ($i = 0; $i -lt 26; $i++) { $Text = $Text -creplace $EAOpenPortsUpper[$i], $EAOpenPortsLower[$i] }
    return $Text
}
function ConvertTo-EAOpenPortsList($Value) {
    # A PowerShell collection as the tool reads it: $null none, a lone item one item.
    if ($null -eq $Value) { return ,@() }
    return ,@($Value)
}
function Test-EAOpenPortsMatch($Low, $High, $Protocols, [int64]$Port, [string]$Protocol) {
    for ($i = 0; $i -lt $Low.Count; $i++) {
        if ($Low[$i] -le $Port -and $Port -le $High[$i] -and ($Protocols[$i] -ceq '' -or $Protocols[$i] -ceq $Protocol)) { return $true }
    }
    return $false
}
function Get-EAOpenPortsCovers($Rule, $Target) {
    # Yes, No or Odd (a text that cannot be compared as the tool compares it).
    $EAProto = ConvertTo-EAOpenPortsFolded $Rule['protocol']
    if ($null -eq $EAProto) { return 'Odd' }
    $EAWanted = @('tcp', '6', 'any')
    if ($Target.protocol -ceq 'udp') { $EAWanted = @('udp', '17', 'any') }
    if ($EAWanted -cnotcontains $EAProto) { return 'No' }
    $EAFound = 'No'
    foreach ($EAItem in (ConvertTo-EAOpenPortsList $Rule['local_ports'])) {
        if (-not (Test-EAOpenPortsText $EAItem)) { continue }
        $EAText = ConvertTo-EAOpenPortsFolded $EAItem
        if ($null -eq $EAText) { $EAFound = 'Odd'; continue }
        if ($EAText -ceq 'any' -or $EAText -ceq [string]$Target.port) { return 'Yes' }
        if ($EAText -cmatch '^ *([0-9]+) *- *([0-9]+) *\z') {
            if ($Matches[1].Length -gt 18 -or $Matches[2].Length -gt 18) { $EAFound = 'Odd'; continue }
            if ([int64]$Matches[1] -le $Target.port -and $Target.port -le [int64]$Matches[2]) { return 'Yes' }
        }
    }
    return $EAFound
}
function Get-EAOpenPortsSystem($Rule) {
    # Whether the rule can match traffic of the System process: True, False or $null.
    $EAProgram = $Rule['program']
    $EAService = $Rule['service']
    if ($EAProgram -isnot [string] -or $EAService -isnot [string]) { return $null }
    $EAPackage = $Rule['package']
    if ($EAPackage -isnot [string]) { $EAPackage = '' }
    $EAProgram = ConvertTo-EAOpenPortsFolded $EAProgram
    $EAPackage = ConvertTo-EAOpenPortsFolded $EAPackage
    $EAService = ConvertTo-EAOpenPortsFolded $EAService
    if ($null -eq $EAProgram -or $null -eq $EAPackage -or $null -eq $EAService) { return $null }
    return ((@('any', 'system') -ccontains $EAProgram) -and (@('', 'any', '*') -ccontains $EAPackage) -and (@('any', '') -ccontains $EAService))
}
function Test-EAOpenPortsProfileClosed($Entry, $Connected, [bool]$ConnectedOdd) {
    # True when the active profile lets nothing in by itself: on, inbound blocked, and no
    # connected interface left unfiltered (windows/exposure.py _profile_openings).
    if ($Entry -isnot [hashtable]) { return $false }
    if ((ConvertTo-EAOpenPortsNumber $Entry['enabled']) -ne 1) { return $false }
    $EAInbound = ConvertTo-EAOpenPortsNumber $Entry['default_inbound']
    if ($EAInbound -ne 0 -and $EAInbound -ne 4) { return $false }
    $EAAliases = $Entry['disabled_interface_aliases']
    if ($null -eq $EAAliases) { return $false }
    foreach ($EAAlias in @($EAAliases)) {
        if (-not (Test-EAOpenPortsText $EAAlias)) { return $false }
        $EAName = ConvertTo-EAOpenPortsAlias $EAAlias
        if ($null -eq $EAName) { return $false }
        if ($EAName -ceq 'notconfigured') { continue }
        if ($null -eq $Connected -or $ConnectedOdd -or $Connected -ccontains $EAName) { return $false }
    }
    return $true
}
function Get-EAOpenPortsClosed {
    # The file-sharing targets the network is known not to reach ('445/tcp', ...): none
    # when any part of the answers is missing or not understood (windows/exposure.py).
    $EAClosed = @()
    $EAData = $EAProbes['file_sharing']
    if ($EAData -isnot [hashtable]) { return ,$EAClosed }
    if ($null -ne $EAData['shares']) {
        foreach ($EAShare in @($EAData['shares'])) {
            if ($EAShare -isnot [hashtable] -or $null -eq (ConvertTo-EAOpenPortsNumber $EAShare['type'])) { return ,$EAClosed }
        }
    }
    $EAMask = ConvertTo-EAOpenPortsNumber $EAData['active_profiles']
    if ($null -eq $EAMask) { return ,$EAClosed }
    $EAActive = @()
    foreach ($EABit in @(1, 2, 4)) { if (($EAMask -band $EABit) -ne 0) { $EAActive += $EABit } }
    if ($EAActive.Count -eq 0) { return ,$EAClosed }
    $EAWrapped = $EAProbes['open_ports_firewall_profiles']
    if ($EAWrapped -isnot [hashtable] -or $null -eq $EAWrapped['profiles']) { return ,$EAClosed }
    $EAProfiles = @(ConvertTo-EAOpenPortsList $EAWrapped['profiles'])
    foreach ($EAEntry in $EAProfiles) {
        if ($EAEntry -isnot [hashtable]) { return ,$EAClosed }
        $EAName = $EAEntry['name']
        if ($EAName -is [string] -and (ConvertTo-EAOpenPortsTrimmed $EAName) -cnotmatch $EAOpenPortsPlain) { return ,$EAClosed }
    }
    $EAConnected = $null
    $EAConnectedOdd = $false
    if ($null -ne $EAData['connections']) {
        $EAConnected = @()
        foreach ($EAConnection in @($EAData['connections'])) {
            if ($EAConnection -isnot [hashtable]) { return ,$EAClosed }
            $EAAlias = $EAConnection['alias']
            if (-not (Test-EAOpenPortsText $EAAlias)) { $EAConnected += ''; continue }
            $EAName = ConvertTo-EAOpenPortsAlias $EAAlias
            if ($null -eq $EAName) { $EAConnectedOdd = $true } else { $EAConnected += $EAName }
        }
    }
    if ($null -eq $EAData['rules']) { return ,$EAClosed }
    $EARules = @($EAData['rules'])
    foreach ($EARule in $EARules) {
        if ($EARule -isnot [hashtable] -or -not (Test-EAOpenPortsText $EARule['name'])) { return ,$EAClosed }
    }
    $EABitNames = @{ 1 = 'Domain'; 2 = 'Private'; 4 = 'Public' }
    foreach ($EABit in $EAActive) {
        # The profile of exactly that name; listed twice, which answer is in force is not
        # known (the collector: unknown), so nothing is taken as closed.
        $EAEntry = $null
        $EAMatches = 0
        foreach ($EACandidate in $EAProfiles) {
            $EAName = $EACandidate['name']
            if ((Test-EAOpenPortsText $EAName) -and (ConvertTo-EAOpenPortsTrimmed $EAName) -ceq $EABitNames[$EABit]) { $EAEntry = $EACandidate; $EAMatches += 1 }
        }
        if ($EAMatches -ne 1) { return ,$EAClosed }
        if (-not (Test-EAOpenPortsProfileClosed $EAEntry $EAConnected $EAConnectedOdd)) { return ,$EAClosed }
    }
    foreach ($EATarget in @(@{ protocol = 'tcp'; port = 445 }, @{ protocol = 'tcp'; port = 139 }, @{ protocol = 'udp'; port = 137 }, @{ protocol = 'udp'; port = 138 })) {
        $EAOpen = $false
        foreach ($EARule in $EARules) {
            $EAAction = ConvertTo-EAOpenPortsNumber $EARule['action']
            # An action not read may be Allow: not known to be closed, as the collector.
            if ($null -ne $EAAction -and $EAAction -ne 2 -and $EAAction -ne 3) { continue }
            $EACovers = Get-EAOpenPortsCovers $EARule $EATarget
            if ($EACovers -ceq 'No') { continue }
            $EASystem = Get-EAOpenPortsSystem $EARule
            $EAProfileBits = ConvertTo-EAOpenPortsNumber $EARule['profile']
            foreach ($EABit in $EAActive) {
                $EAOn = $null
                if ($null -ne $EAProfileBits) { $EAOn = ($EAProfileBits -eq 0 -or ($EAProfileBits -band $EABit) -ne 0) }
                if ($EAOn -eq $false -or $EASystem -eq $false) { continue }
                # Allowed here, or a condition not read: not known to be closed.
                $EAOpen = $true
            }
        }
        if (-not $EAOpen) { $EAClosed += ([string]$EATarget.port + '/' + $EATarget.protocol) }
    }
    return ,$EAClosed
}
$EASettings['OpenPortsAnswer'] = 'Unknown'
$EASettings['OpenPortsNotAllowed'] = [int64]-1
$EASettings['OpenPortsFileSharing'] = [int64]-1
$EASettings['OpenPortsUnjudged'] = [int64]-1
if ($null -ne $EAProbe) {
    $EAAnswer = 'Read'
    $EASockets = $EAProbe['sockets']
    $EAProcesses = $EAProbe['processes']
    if ($null -eq $EAProcesses) { $EAProcesses = @{} }
    if ($EASockets -isnot [array] -or $EAProcesses -isnot [hashtable]) { $EAAnswer = 'Malformed' }
    # Security Center's list in a form the tool refuses makes the check an error.
    $EACenter = $EAProbes['firewall_products']
    if ($EACenter -is [hashtable] -and $null -ne $EACenter['products']) {
        foreach ($EAProduct in @($EACenter['products'])) { if ($EAProduct -isnot [hashtable]) { $EAAnswer = 'Malformed' } }
    }
    $EANotAllowed = 0
    $EAUnjudged = 0
    $EAShielded = @{}
    $EANamesCount = $EAOpenPortsForbiddenProcesses.Count + $EAOpenPortsAllowedProcesses.Count
    if ($EAAnswer -ceq 'Read') {
        foreach ($EAEntry in $EASockets) {
            if ($EAEntry -isnot [hashtable]) { $EAAnswer = 'Malformed'; break }
            $EAProtocol = $EAEntry['protocol']
            $EAAddress = $EAEntry['address']
            $EAPort = ConvertTo-EAOpenPortsNumber $EAEntry['port']
            if (-not ($EAProtocol -is [string] -and ($EAProtocol -ceq 'tcp' -or $EAProtocol -ceq 'udp')) -or -not (Test-EAOpenPortsText $EAAddress) -or $null -eq $EAPort) { $EAAnswer = 'Malformed'; break }
            # Loopback: 127.*, ::1 or localhost, the scope id (%12) left out.
            $EAHost = (ConvertTo-EAOpenPortsTrimmed $EAAddress) -creplace '%[\s\S]*\z', ''
            if (-not $EAOpenPortsIncludeLoopback) {
                if ($EAHost -cnotmatch $EAOpenPortsPlain) { $EAUnjudged++; continue }
                if ($EAHost -cmatch '^127\.' -or $EAHost -ceq '::1' -or $EAHost -ceq 'localhost') { continue }
            }
            $EAProcess = ''
            $EAPid = ConvertTo-EAOpenPortsNumber $EAEntry['pid']
            if ($null -ne $EAPid) {
                $EAOwner = $null
                foreach ($EAKey in @($EAProcesses.Keys)) { if ($EAKey -is [string] -and $EAKey -ceq [string]$EAPid) { $EAOwner = $EAProcesses[$EAKey] } }
                if ($EAOwner -is [hashtable]) { $EAProcess = ConvertTo-EAOpenPortsFolded $EAOwner['name'] }
            }
            if ($null -eq $EAProcess) {
                # A name in other characters: judged only where the baseline names none.
                if ($EANamesCount -gt 0) { $EAUnjudged++; continue }
                $EAProcess = '?'
            }
            if ($EAProcess -cne '' -and $EAOpenPortsAllowedProcesses -ccontains $EAProcess) { continue }
            $EAPortAllowed = Test-EAOpenPortsMatch $EAOpenPortsAllowedLow $EAOpenPortsAllowedHigh $EAOpenPortsAllowedProtocol $EAPort $EAProtocol
            $EAReason = ''
            if ($EAProcess -cne '' -and $EAOpenPortsForbiddenProcesses -ccontains $EAProcess) {
                $EAReason = 'process'
            } elseif (-not $EAPortAllowed -and (Test-EAOpenPortsMatch $EAOpenPortsForbiddenLow $EAOpenPortsForbiddenHigh $EAOpenPortsForbiddenProtocol $EAPort $EAProtocol)) {
                $EAReason = 'port'
            } elseif ($EAOpenPortsOnlyAllowed -and -not $EAPortAllowed) {
                $EAReason = 'not_allowed'
            }
            $EASpec = [string]$EAPort + '/' + $EAProtocol
            if ($EAOpenPortsJudgeExposure -and $EAReason -cne '' -and $EAReason -cne 'process' -and @('445/tcp', '139/tcp', '137/udp', '138/udp') -ccontains $EASpec -and $EAPid -eq 4) {
                # SMB and NetBIOS of System (PID 4) listen on every PC: judged by what the
                # firewall lets in to System; another process there is judged as any other.
                $EAShielded[$EASpec] = $true
                continue
            }
            if ($EAReason -ceq '') {
                # A forbidden process could hide behind a listener whose owner is not seen.
                if ($EAProcess -ceq '' -and $EAOpenPortsForbiddenProcesses.Count -gt 0) { $EAUnjudged++ }
                continue
            }
            $EANotAllowed++
        }
    }
    if ($EAAnswer -ceq 'Read') {
        $EAFileSharing = 0
        if ($EAShielded.Count -gt 0) {
            $EAClosed = Get-EAOpenPortsClosed
            foreach ($EASpec in @($EAShielded.Keys)) { if ($EAClosed -cnotcontains $EASpec) { $EAFileSharing++ } }
        }
        $EASettings['OpenPortsNotAllowed'] = [int64]$EANotAllowed
        $EASettings['OpenPortsFileSharing'] = [int64]$EAFileSharing
        $EASettings['OpenPortsUnjudged'] = [int64]$EAUnjudged
    }
    $EASettings['OpenPortsAnswer'] = $EAAnswer
}
