# What every rule's settings share (rules/intune.py): the values of a rule's probe, read
# as rules/windows.py reads them, and the comparisons and all/any/none of
# rules/evaluate.py in its three values: H holds, F fails, U unknown. A value it cannot
# read is U, and a rule that is U is never compliant. The script holds it once.
function Get-EARuleKind($X) {
    if ($X -is [bool]) { return 'bool' }
    if ($X -is [string]) { return 'text' }
    if ($X -is [int] -or $X -is [long] -or $X -is [uint32] -or $X -is [uint64] -or $X -is [int16] -or $X -is [uint16] -or $X -is [byte] -or $X -is [sbyte] -or $X -is [double] -or $X -is [single]) { return 'number' }
    return 'other'
}
function Test-EARuleWhole($X) {
    # A whole number at or above 0, as the probe writes a DWORD or QWORD.
    return (($X -is [int] -or $X -is [long] -or $X -is [uint32] -or $X -is [uint64] -or $X -is [int16] -or $X -is [uint16] -or $X -is [byte] -or $X -is [sbyte]) -and $X -ge 0)
}
function ConvertTo-EARuleList($X) {
    if ($null -eq $X) { return ,@() }
    return ,@($X)
}
$EARuleUpper = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'
$EARuleLower = 'abcdefghijklmnopqrstuvwxyz'
function ConvertTo-EARuleLower($Text) {
    # Printable ASCII with its letters lowered (as WQL compares); $null for other text.
    if ($Text -isnot [string] -or $Text -cnotmatch '^[ -~]*\z') { return $null }
    for ($i = 0; $i -lt 26; $i++) { $Text = $Text -creplace $EARuleUpper[$i], $EARuleLower[$i] }
    return $Text
}
$EARuleHostTypes = @{ DWord = 'REG_DWORD'; QWord = 'REG_QWORD'; String = 'REG_SZ'; ExpandString = 'REG_EXPAND_SZ'; MultiString = 'REG_MULTI_SZ'; Binary = 'REG_BINARY'; None = 'REG_NONE' }
function New-EARuleValue([string]$State, $Value, $HostType) {
    return @{ state = $State; value = $Value; host = $HostType }
}
function Get-EARuleRegistry($Entry) {
    $EAState = $Entry['state']
    if ($EAState -ceq 'absent' -and ($Entry['absent'] -ceq 'key' -or $Entry['absent'] -ceq 'value')) { return (New-EARuleValue 'absent' $null $null) }
    if ($EAState -cne 'value') { return (New-EARuleValue 'unknown' $null $null) }
    $EAKind = ''
    if ($Entry['kind']) { $EAKind = [string]$Entry['kind'] }
    $EAHost = $null
    if ($EAKind -cne '') {
        $EAHost = $EAKind
        foreach ($EAKey in @($EARuleHostTypes.Keys)) { if ($EAKey -ceq $EAKind) { $EAHost = $EARuleHostTypes[$EAKey] } }
    }
    $EAValue = $Entry['value']
    if ($EAKind -ceq 'DWord' -or $EAKind -ceq 'QWord') {
        if (-not (Test-EARuleWhole $EAValue)) { return (New-EARuleValue 'unknown' $null $null) }
        return (New-EARuleValue 'value' $EAValue $EAHost)
    }
    if ($EAKind -ceq 'MultiString') {
        $EAItems = ConvertTo-EARuleList $EAValue
        foreach ($EAItem in $EAItems) { if ($EAItem -isnot [string]) { return (New-EARuleValue 'unknown' $null $null) } }
        return (New-EARuleValue 'value' $EAItems $EAHost)
    }
    if ($EAValue -isnot [string]) { return (New-EARuleValue 'unknown' $null $null) }
    return (New-EARuleValue 'value' $EAValue $EAHost)
}
function Test-EARuleSelector($Value, $Selector) {
    if ($Selector.ContainsKey('ends')) {
        $EAText = ConvertTo-EARuleLower $Value
        # `ends`: a regular expression of escapes ending in \z (rules/intune.py).
        return ($null -ne $EAText -and $EAText -cmatch $Selector['ends'])
    }
    $EAWanted = $Selector['eq']
    if ($EAWanted -is [string]) { $EAText = ConvertTo-EARuleLower $Value; return ($null -ne $EAText -and $EAText -ceq $EAWanted) }
    if ($EAWanted -is [bool]) { return ($Value -is [bool] -and $Value -eq $EAWanted) }
    return ((Get-EARuleKind $Value) -ceq 'number' -and $Value -eq $EAWanted)
}
function Get-EARuleInstances($Entry, $Spec) {
    if ($Entry['state'] -cne 'instances') { return (New-EARuleValue 'unknown' $null $null) }
    # A table here is PowerShell 5.1's wrapped or unrolled list, which the live answer
    # never holds: not read (the collector might read it; never looser).
    if ($Entry['instances'] -is [hashtable]) { return (New-EARuleValue 'unknown' $null $null) }
    $EAItems = ConvertTo-EARuleList $Entry['instances']
    foreach ($EAItem in $EAItems) {
        if ($EAItem -isnot [hashtable]) { return (New-EARuleValue 'unknown' $null $null) }
        foreach ($EASelector in $Spec['selectors']) {
            # The instance's own value under exactly that name (a table ignores case).
            $EAFound = $null
            foreach ($EAKey in @($EAItem.Keys)) { if ($EAKey -ceq $EASelector['name']) { $EAFound = $EAItem[$EAKey] } }
            if (-not (Test-EARuleSelector $EAFound $EASelector)) { return (New-EARuleValue 'unknown' $null $null) }
        }
    }
    if ($EAItems.Count -eq 0) { return (New-EARuleValue 'absent' $null $null) }
    if ($EAItems.Count -gt 1) { return (New-EARuleValue 'unknown' $null $null) }
    $EAValue = $null
    foreach ($EAKey in @($EAItems[0].Keys)) { if ($EAKey -ceq $Spec['property']) { $EAValue = $EAItems[0][$EAKey] } }
    if ($Spec['type'] -ceq 'feature') {
        # The value on the left: PowerShell converts the right operand to the left's type.
        if ((Get-EARuleKind $EAValue) -cne 'number' -or -not ($EAValue -eq 1 -or $EAValue -eq 2 -or $EAValue -eq 3)) { return (New-EARuleValue 'unknown' $null $null) }
        return (New-EARuleValue 'value' $EAValue $null)
    }
    if ($Spec['type'] -ceq 'service') {
        $EAStates = @('Stopped', 'Start Pending', 'Stop Pending', 'Running', 'Continue Pending', 'Pause Pending', 'Paused', 'Unknown')
        if ($EAValue -isnot [string] -or $EAStates -cnotcontains $EAValue) { return (New-EARuleValue 'unknown' $null $null) }
        return (New-EARuleValue 'value' $EAValue $null)
    }
    if ($null -eq $EAValue) { return (New-EARuleValue 'absent' $null $null) }
    $EAKind = Get-EARuleKind $EAValue
    if ($EAKind -cne 'other') { return (New-EARuleValue 'value' $EAValue $null) }
    if ($EAValue -is [array]) {
        foreach ($EAItem in $EAValue) { if ($EAItem -isnot [string]) { return (New-EARuleValue 'unknown' $null $null) } }
        return (New-EARuleValue 'value' $EAValue $null)
    }
    return (New-EARuleValue 'unknown' $null $null)
}
function Get-EARuleRead($Entry, $Spec) {
    # One read's value: @{ state = value | absent | unknown | each; value; host; each }.
    if ($Entry -isnot [hashtable]) { return (New-EARuleValue 'unknown' $null $null) }
    $EAState = $Entry['state']
    if ($EAState -ceq 'refused' -or $EAState -ceq 'denied' -or $EAState -ceq 'error') { return (New-EARuleValue 'unknown' $null $null) }
    if ($Spec['type'] -ceq 'registry') {
        if (-not $Spec['users']) { return (Get-EARuleRegistry $Entry) }
        if ($EAState -cne 'users' -or $Entry['users'] -is [hashtable]) { return (New-EARuleValue 'unknown' $null $null) }
        $EAEach = @()
        foreach ($EAItem in (ConvertTo-EARuleList $Entry['users'])) {
            $EASid = $null
            if ($EAItem -is [hashtable]) { $EASid = $EAItem['sid'] }
            if ($EASid -isnot [string] -or $EASid -cnotmatch '^S-1-(5-21|12-1)-[0-9-]+$') { return (New-EARuleValue 'unknown' $null $null) }
            $EAEach += ,(Get-EARuleRegistry $EAItem)
        }
        $EAOut = New-EARuleValue 'each' $null $null
        $EAOut['each'] = $EAEach
        return $EAOut
    }
    if ($Spec['type'] -ceq 'service_start') {
        if ($EAState -ceq 'absent' -and ($Entry['absent'] -ceq 'service' -or $Entry['absent'] -ceq 'value')) { return (New-EARuleValue 'absent' $null $null) }
        if ($EAState -cne 'value' -or -not (Test-EARuleWhole $Entry['value'])) { return (New-EARuleValue 'unknown' $null $null) }
        return (New-EARuleValue 'value' $Entry['value'] 'REG_DWORD')
    }
    return (Get-EARuleInstances $Entry $Spec)
}
# Python's str.strip() set (rules/windows_policy.py strips cells with it), as escapes.
$EARuleSpace = '[\u0009-\u000D\u001C-\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]'
function Get-EARuleTrimmed([string]$Text) {
    return (($Text -creplace ('^' + $EARuleSpace + '+'), '') -creplace ($EARuleSpace + '+\z'), '')
}
function Get-EARuleAudit($Answer, [string]$Guid) {
    # A subcategory's number in `auditpol /backup`'s CSV, as rules/windows_policy.py reads
    # it: only an administrator's export, column 4 the GUID and column 7 the number (the
    # localized words are never read), one number 0-3 across its rows. A line with a
    # quote, CR, LF or NUL is not split here (CSV quoting): the read is not judged.
    if ($Answer -isnot [hashtable]) { return (New-EARuleValue 'unknown' $null $null) }
    if (-not ($Answer['is_admin'] -is [bool] -and $Answer['is_admin'])) { return (New-EARuleValue 'unknown' $null $null) }
    $EACode = $Answer['exit']
    if ($EACode -isnot [int] -or $EACode -ne 0) { return (New-EARuleValue 'unknown' $null $null) }
    $EALines = ConvertTo-EARuleList $Answer['lines']
    if ($EALines.Count -eq 0) { return (New-EARuleValue 'unknown' $null $null) }
    foreach ($EALine in $EALines) { if ($EALine -isnot [string]) { return (New-EARuleValue 'unknown' $null $null) } }
    $EAFound = @()
    foreach ($EALine in $EALines) {
        $EAText = (($EALine -creplace '^\uFEFF+', '') -creplace '^[\r\n]+', '') -creplace '[\r\n]+\z', ''
        if ($EAText -cmatch '["\r\n\u0000]') { return (New-EARuleValue 'unknown' $null $null) }
        $EACells = @($EAText -csplit ',')
        if ($EACells.Count -lt 7) { continue }
        $EAId = Get-EARuleTrimmed $EACells[3]
        if ($EAId -cnotmatch '^\{[0-9A-Fa-f-]{36}\}\z') { continue }
        if ((ConvertTo-EARuleLower $EAId) -cne $Guid) { continue }
        $EAOne = Get-EARuleTrimmed $EACells[6]
        if ($EAFound -cnotcontains $EAOne) { $EAFound += ,$EAOne }
    }
    if ($EAFound.Count -ne 1) { return (New-EARuleValue 'unknown' $null $null) }
    foreach ($EANumber in @('0', '1', '2', '3')) {
        if ($EAFound[0] -ceq $EANumber) { return (New-EARuleValue 'value' ([int64]$EANumber) $null) }
    }
    return (New-EARuleValue 'unknown' $null $null)
}
function Get-EARuleReads($Answer, $Audit, $Specs) {
    # The values of every read, or $null when the rule's own probe's answer is not one
    # value per read of its own; auditpol's reads come from its probe's answer ($Audit).
    $EAOwn = @($Specs | Where-Object { $_['type'] -cne 'auditpol' }).Count
    $EAEntries = @()
    if ($EAOwn -gt 0) {
        if ($Answer -isnot [hashtable]) { return $null }
        $EAEntries = $Answer['reads']
        if ($EAEntries -isnot [array] -or $EAEntries.Count -ne $EAOwn) { return $null }
    }
    $EAValues = @()
    $j = 0
    for ($i = 0; $i -lt $Specs.Count; $i++) {
        if ($Specs[$i]['type'] -ceq 'auditpol') {
            $EAValues += ,(Get-EARuleAudit $Audit $Specs[$i]['guid'])
        } else {
            $EAValues += ,(Get-EARuleRead $EAEntries[$j] $Specs[$i])
            $j++
        }
    }
    return ,$EAValues
}
function Join-EARuleTruth([string]$Kind, $Parts) {
    $EAParts = @($Parts)
    if ($Kind -ceq 'all') {
        if ($EAParts -ccontains 'F') { return 'F' }
        if ($EAParts -ccontains 'U') { return 'U' }
        return 'H'
    }
    if ($Kind -ceq 'any') {
        if ($EAParts -ccontains 'H') { return 'H' }
        if ($EAParts -ccontains 'U') { return 'U' }
        return 'F'
    }
    if ($EAParts -ccontains 'H') { return 'F' }
    if ($EAParts -ccontains 'U') { return 'U' }
    return 'H'
}
function Test-EARuleSame($A, $B) {
    $EAKind = Get-EARuleKind $A
    if ($EAKind -ceq 'other' -or $EAKind -cne (Get-EARuleKind $B)) { return $false }
    # Numbers past 2^53 are not compared: PowerShell may compare them as doubles.
    if ($EAKind -ceq 'number' -and ($A -gt 9007199254740992 -or $A -lt -9007199254740992)) { return $false }
    return $true
}
function Test-EARuleEqual($A, $B) {
    if ($A -is [string]) { return ($A -ceq $B) }
    return ($A -eq $B)
}
function Test-EARuleCompare($V, [string]$Op, $Operand, [string]$Declared) {
    $EAState = $V['state']
    if ($EAState -ceq 'unknown') { return 'U' }
    if ($EAState -ceq 'absent') {
        if ($Op -ceq 'absent') { return 'H' }
        if ($Op -ceq 'present') { return 'F' }
        return 'U'
    }
    if ($Op -ceq 'present') { return 'H' }
    if ($Op -ceq 'absent') { return 'F' }
    if ($Declared -cne '' -and $null -ne $V['host'] -and [string]$V['host'] -cne '' -and [string]$V['host'] -cne $Declared) { return 'U' }
    $EAValue = $V['value']
    if ($Op -ceq 'eq' -or $Op -ceq 'ne') {
        if (-not (Test-EARuleSame $EAValue $Operand)) { return 'U' }
        if ((Test-EARuleEqual $EAValue $Operand) -eq ($Op -ceq 'eq')) { return 'H' }
        return 'F'
    }
    if ($Op -ceq 'in') {
        $EAHit = $false
        foreach ($EAOne in $Operand) {
            if (-not (Test-EARuleSame $EAValue $EAOne)) { return 'U' }
            if (Test-EARuleEqual $EAValue $EAOne) { $EAHit = $true }
        }
        if ($EAHit) { return 'H' }
        return 'F'
    }
    if ((Get-EARuleKind $EAValue) -cne 'number' -or $EAValue -gt 9007199254740992 -or $EAValue -lt -9007199254740992) { return 'U' }
    $EAHolds = $false
    if ($Op -ceq 'lt') { $EAHolds = $EAValue -lt $Operand }
    elseif ($Op -ceq 'le') { $EAHolds = $EAValue -le $Operand }
    elseif ($Op -ceq 'gt') { $EAHolds = $EAValue -gt $Operand }
    elseif ($Op -ceq 'ge') { $EAHolds = $EAValue -ge $Operand }
    else { return 'U' }
    if ($EAHolds) { return 'H' }
    return 'F'
}
function Get-EARuleLeaf($V, $Expect) {
    # A value per user must meet the expectation for every user; with none, nothing does.
    if ($V['state'] -ceq 'each') {
        $EAEach = @($V['each'])
        if ($EAEach.Count -eq 0) { return 'U' }
        return (Join-EARuleTruth 'all' @($EAEach | ForEach-Object { & $Expect $_ }))
    }
    return (& $Expect $V)
}
