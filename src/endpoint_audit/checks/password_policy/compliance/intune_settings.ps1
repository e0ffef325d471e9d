# password_policy as Intune custom compliance settings, from the answer of
# password_policy.ps1 ($EAProbe; $null when it failed): the numbers of secedit's
# [System Access] and the Windows Hello PIN policy, read as windows.py reads them and never
# looser. Only numbers are read; a value that is not seen is one the rules never accept.
function Get-EAPasswordValue($Table, [string]$Name) {
    # The value under exactly $Name, as check.py reads a JSON key (a hashtable ignores
    # case); the leading comma keeps a list a list, which is then no number.
    if ($Table -isnot [hashtable]) { return $null }
    foreach ($EAKey in @($Table.Keys)) {
        if ($EAKey -is [string] -and $EAKey -ceq $Name) { return ,($Table[$EAKey]) }
    }
    return $null
}
function ConvertTo-EAPasswordNumber($Value) {
    # As the tool reads numbers: a boolean is no number; ASCII digits in a string count.
    if ($null -eq $Value -or $Value -is [bool]) { return $null }
    if ($Value -is [int] -or $Value -is [long] -or $Value -is [int16] -or $Value -is [byte] -or $Value -is [sbyte] -or $Value -is [uint16] -or $Value -is [uint32]) { return [int64]$Value }
    if ($Value -is [double] -and $Value -ge -1000000000000000 -and $Value -le 1000000000000000 -and [int64]$Value -eq $Value) { return [int64]$Value }
    if ($Value -is [string] -and $Value -cmatch '^[ \t\r\n]*(-?[0-9]{1,15})[ \t\r\n]*\z') { return [int64]$Matches[1] }
    return $null
}
$EASettings['PasswordPolicyAnswer'] = 'Unknown'
$EASettings['PasswordMinimumLength'] = [int64]-1
$EASettings['PasswordLockoutThreshold'] = [int64]99999
$EASettings['PasswordCharClasses'] = [int64]-1
$EASettings['PasswordPinMinimumLength'] = [int64]-1
if ($null -ne $EAProbe) {
    # The PIN minimum Windows enforces: the policy's when it is valid, else 4.
    $EAPin = [int64]4
    $EAPinPolicy = $EAProbe['pin_complexity']
    if ($EAPinPolicy -is [hashtable]) {
        $EALeast = ConvertTo-EAPasswordNumber (Get-EAPasswordValue $EAPinPolicy 'MinimumPINLength')
        $EAMost = ConvertTo-EAPasswordNumber (Get-EAPasswordValue $EAPinPolicy 'MaximumPINLength')
        if ($null -ne $EALeast -and $EALeast -ge 4 -and $EALeast -le 127 -and ($null -eq $EAMost -or $EALeast -le $EAMost)) { $EAPin = $EALeast }
    }
    $EASettings['PasswordPinMinimumLength'] = $EAPin
    $EAAccess = $EAProbe['system_access']
    if (-not ($EAProbe['is_admin'] -is [bool] -and $EAProbe['is_admin'])) {
        $EASettings['PasswordPolicyAnswer'] = 'NeedsAdmin'
    } elseif ($EAAccess -isnot [hashtable]) {
        $EASettings['PasswordPolicyAnswer'] = 'SeceditFailed'
    } else {
        $EASettings['PasswordPolicyAnswer'] = 'Read'
        $EALength = ConvertTo-EAPasswordNumber (Get-EAPasswordValue $EAAccess 'MinimumPasswordLength')
        if ($null -ne $EALength) { $EASettings['PasswordMinimumLength'] = $EALength }
        # 0 (or less) never locks the account: written as the value the rule never takes.
        $EALockout = ConvertTo-EAPasswordNumber (Get-EAPasswordValue $EAAccess 'LockoutBadCount')
        if ($null -ne $EALockout -and $EALockout -ge 1) { $EASettings['PasswordLockoutThreshold'] = $EALockout }
        # "Password must meet complexity requirements" mixes 3 classes.
        $EAComplexity = ConvertTo-EAPasswordNumber (Get-EAPasswordValue $EAAccess 'PasswordComplexity')
        if ($null -ne $EAComplexity) {
            $EASettings['PasswordCharClasses'] = [int64]0
            if ($EAComplexity -eq 1) { $EASettings['PasswordCharClasses'] = [int64]3 }
        }
    }
}
