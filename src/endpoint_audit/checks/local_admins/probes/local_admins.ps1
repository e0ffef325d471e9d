# The members of the local Administrators group, found by its SID S-1-5-32-544 (the name
# is localized: Administrators, Administratoren, ...). ADSI's WinNT provider lists every
# member with its SID, also those no name resolves for (Entra ID S-1-12-1-... groups and
# roles, orphaned accounts), where Get-LocalGroupMember fails. Only SIDs, ADsPaths and
# the schema class are read. The built-in Administrator (RID 500 of this PC) and whether
# it is disabled come from CIM.
$members = $null
$membersError = $null
try {
    $groupSid = New-Object System.Security.Principal.SecurityIdentifier('S-1-5-32-544')
    $groupName = $groupSid.Translate([System.Security.Principal.NTAccount]).Value.Split('\')[-1]
    $group = [ADSI]"WinNT://./$groupName,group"
    $members = @(@($group.Invoke('Members')) | ForEach-Object {
        $type = $_.GetType()
        $path = [string]$type.InvokeMember('ADsPath', 'GetProperty', $null, $_, $null)
        # The class is evidence only; a member whose class cannot be read is still listed.
        $class = $null
        try { $class = [string]$type.InvokeMember('Class', 'GetProperty', $null, $_, $null) } catch { }
        $bytes = [byte[]]$type.InvokeMember('objectSid', 'GetProperty', $null, $_, $null)
        $sid = (New-Object System.Security.Principal.SecurityIdentifier($bytes, 0)).Value
        @{ path = $path; class = $class; sid = $sid }
    })
} catch {
    $membersError = [string]$_.Exception.HResult
}
$builtin = $null
$builtinError = $null
try {
    $accountProperties = @('SID', 'Disabled')
    $account = Get-CimInstance -ClassName Win32_UserAccount -Filter "LocalAccount = TRUE AND SID LIKE 'S-1-5-21-%-500'" -Property $accountProperties -ErrorAction Stop |
        Select-Object -First 1
    if ($null -ne $account) {
        $builtin = @{ sid = [string]$account.SID; disabled = [bool]$account.Disabled }
    }
} catch {
    $builtinError = [string]$_.Exception.HResult
}
$result = @{
    members = $members
    members_error = $membersError
    builtin = $builtin
    builtin_error = $builtinError
}
