# Firewalls registered with Windows Security Center (root/SecurityCenter2, client SKUs
# only). productState is a number; the collector decodes its bits. Security Center keeps
# the entry of a suite that was uninstalled or broke, with its last productState: each
# entry also says whether its programs are on disk and a running service or process runs
# its reporting program (Get-EntryLiveness and Set-EntryRunning:
# probe_parts/security_center_entry.ps1, run before this).
$installation = $null
try {
    $installation = [string](Get-ItemProperty -Path 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion' -Name InstallationType -ErrorAction Stop).InstallationType
} catch { }
$products = $null
$failure = $null
try {
    $products = @(Get-CimInstance -Namespace 'root/SecurityCenter2' -ClassName FirewallProduct -ErrorAction Stop | ForEach-Object {
        $state = $null
        if ($null -ne $_.productState) { $state = [long]$_.productState }
        $item = Get-EntryLiveness $_
        $item['name'] = [string]$_.displayName
        $item['product_state'] = $state
        $item
    })
    Set-EntryRunning $products
} catch {
    $failure = @{ error = [string]$_.Exception.Message; hresult = $_.Exception.HResult }
}
$result = @{ installation_type = $installation; products = $products; failure = $failure }
