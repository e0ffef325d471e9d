# Firewalls registered with Windows Security Center (root/SecurityCenter2, client SKUs
# only). productState is a number; the collector decodes its bits.
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
        @{ name = [string]$_.displayName; product_state = $state }
    })
} catch {
    $failure = @{ error = [string]$_.Exception.Message; hresult = $_.Exception.HResult }
}
$result = @{ installation_type = $installation; products = $products; failure = $failure }
