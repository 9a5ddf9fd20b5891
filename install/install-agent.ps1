# Install the Pantau agent on Windows as the PantauAgent service. UNTESTED: Pantau is built
# and tested on Linux only; the Windows service code (agent/src/service.rs, cfg(windows)) has
# never been compiled. See docs/operations.md.
#
#   powershell -ExecutionPolicy Bypass -File install-agent.ps1 -Url https://COLLECTOR:8443 `
#       -Token TOKEN [-CaFingerprint SHA256] [-Exe .\pantau-agent.exe]
param(
    [Parameter(Mandatory = $true)][string]$Url,
    [Parameter(Mandatory = $true)][string]$Token,
    [string]$CaFingerprint = "",
    [string]$Exe = (Join-Path $PSScriptRoot "pantau-agent.exe")
)
$ErrorActionPreference = "Stop"

$principal = New-Object Security.Principal.WindowsPrincipal([Security.Principal.WindowsIdentity]::GetCurrent())
if (-not $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) {
    throw "Jalankan sebagai Administrator / run as Administrator"
}
if (-not (Test-Path $Exe)) { throw "$Exe not found: give -Exe PATH" }

$dir = Join-Path $env:ProgramFiles "Pantau"
$data = Join-Path $env:ProgramData "Pantau"
New-Item -ItemType Directory -Force -Path $dir, $data | Out-Null
Copy-Item -Force $Exe (Join-Path $dir "pantau-agent.exe")
$agent = Join-Path $dir "pantau-agent.exe"

# The same enrollment as on Linux: pantau-agent enroll URL --token T [--ca-fingerprint F].
$enroll = @("enroll", $Url, "--token", $Token)
if ($CaFingerprint) { $enroll += @("--ca-fingerprint", $CaFingerprint) }
& $agent @enroll
if ($LASTEXITCODE -ne 0) { throw "enrollment failed; nothing was started" }

# Only SYSTEM and Administrators may read the key and the state.
icacls $data /inheritance:r /grant:r "SYSTEM:(OI)(CI)F" "Administrators:(OI)(CI)F" | Out-Null

$config = Join-Path $data "agent.toml"
& $agent check-config --config $config | Out-Null
if ($LASTEXITCODE -ne 0) { throw "check-config failed for $config" }

if (Get-Service PantauAgent -ErrorAction SilentlyContinue) {
    Stop-Service PantauAgent
    sc.exe delete PantauAgent | Out-Null
}
New-Service -Name PantauAgent -DisplayName "Pantau agent" `
    -Description "Reports this PC's inventory and utilization to Diskominfo" `
    -BinaryPathName "`"$agent`" service --config `"$config`"" -StartupType Automatic | Out-Null
sc.exe failure PantauAgent reset= 86400 actions= restart/10000 | Out-Null
Start-Service PantauAgent
Write-Host "pantau-agent terpasang dan berjalan / installed and running (Get-Service PantauAgent)"
