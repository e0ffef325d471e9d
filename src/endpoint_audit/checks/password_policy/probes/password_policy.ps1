# The local security policy's [System Access] numbers from `secedit /export` (which needs
# an elevated token), and the Windows Hello for Business PIN policy from the registry.
# Only numbers leave the probe: `net accounts` prints localized labels and words
# and is never read. The export is a UTF-16LE INF file written to a
# temporary file that is removed whatever happens.
$EAIsAdmin = (New-Object Security.Principal.WindowsPrincipal([Security.Principal.WindowsIdentity]::GetCurrent())).IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)
$access = $null
$seceditExit = $null
$seceditError = $null
if ($EAIsAdmin) {
    $file = Join-Path -Path $env:TEMP -ChildPath ('endpoint-audit-' + [guid]::NewGuid().ToString() + '.inf')
    try {
        $null = & secedit.exe /export /cfg $file /areas SECURITYPOLICY /quiet 2>&1
        $seceditExit = [int64]$LASTEXITCODE
        if ($seceditExit -eq 0 -and (Test-Path -LiteralPath $file)) {
            $access = @{}
            $section = ''
            foreach ($line in (Get-Content -LiteralPath $file -Encoding Unicode)) {
                $text = $line.Trim()
                if ($text -match '^\[(.+)\]$') { $section = $Matches[1]; continue }
                if ($section -eq 'System Access' -and $text -match '^([A-Za-z]+)\s*=\s*(-?\d+)$') {
                    $access[$Matches[1]] = [int64]$Matches[2]
                }
            }
        }
    } catch {
        $seceditError = [string]$_.Exception.HResult
    } finally {
        Remove-Item -LiteralPath $file -Force -ErrorAction SilentlyContinue
    }
}
# HKLM\SOFTWARE\Policies is shared between the 32-bit and 64-bit registry views.
$pin = $null
$pinKey = 'HKLM:\SOFTWARE\Policies\Microsoft\PassportForWork\PINComplexity'
$pinValues = Get-ItemProperty -LiteralPath $pinKey -ErrorAction SilentlyContinue
if ($null -ne $pinValues) {
    $pin = @{}
    foreach ($name in @('MinimumPINLength', 'MaximumPINLength', 'UppercaseLetters', 'LowercaseLetters', 'SpecialCharacters', 'Digits')) {
        if ($null -ne $pinValues.$name) { $pin[$name] = [int64]$pinValues.$name }
    }
}
$domain = $null
try { $domain = [bool](Get-CimInstance -ClassName Win32_ComputerSystem -Property PartOfDomain -ErrorAction Stop).PartOfDomain } catch { }
$result = @{
    is_admin = $EAIsAdmin
    secedit_exit = $seceditExit
    secedit_error = $seceditError
    system_access = $access
    pin_complexity = $pin
    part_of_domain = $domain
}
