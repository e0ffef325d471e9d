$EAIsAdmin = (New-Object Security.Principal.WindowsPrincipal([Security.Principal.WindowsIdentity]::GetCurrent())).IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)
$tcp = @()
try {
    $tcp = @(Get-NetTCPConnection -State Listen | ForEach-Object {
        @{ protocol = 'tcp'; address = [string]$_.LocalAddress; port = [int]$_.LocalPort; pid = [int]$_.OwningProcess }
    })
} catch {
    if ($_.CategoryInfo.Category -ne [System.Management.Automation.ErrorCategory]::ObjectNotFound) { throw }
}
$udp = @()
try {
    $udp = @(Get-NetUDPEndpoint | ForEach-Object {
        @{ protocol = 'udp'; address = [string]$_.LocalAddress; port = [int]$_.LocalPort; pid = [int]$_.OwningProcess }
    })
} catch {
    if ($_.CategoryInfo.Category -ne [System.Management.Automation.ErrorCategory]::ObjectNotFound) { throw }
}
$processes = @{}
$ids = @($tcp + $udp | ForEach-Object { $_.pid } | Sort-Object -Unique)
foreach ($id in $ids) {
    $p = $null
    if ($EAIsAdmin) {
        try { $p = Get-Process -Id $id -IncludeUserName -ErrorAction Stop } catch { $p = $null }
    }
    if ($null -eq $p) { $p = Get-Process -Id $id -ErrorAction SilentlyContinue }
    if ($null -ne $p) {
        $processes[[string]$id] = @{ name = [string]$p.ProcessName; user = [string]$p.UserName }
    }
}
$result = @{ sockets = @($tcp + $udp); processes = $processes; is_admin = $EAIsAdmin }
