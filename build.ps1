#!/usr/bin/env pwsh
# CnnNative build script (PowerShell 7, run as `dotnet pwsh ./build.ps1 TASK [ARGS...]`).
#
#   setup   Debian packages (as root: apt-get; otherwise a message listing what to install)
#   build   setup + CMake build of native/ + dotnet build -c Release
#   test    build + CTest + NUnit (+ the cpu device's tests with AVX-512, then AVX2, turned off), ending with one
#           line "N passed, N failed, N skipped"
#   train   build + `cnn train ARGS...` (every further argument is passed to cnn unchanged)
#   bench   build + the BenchmarkDotNet suite (markdown under BenchmarkDotNet.Artifacts/results)
#   cnn     build + `cnn ARGS...`
#
# No param() block on purpose: PowerShell would try to bind `--epochs 5` to its own parameters;
# $args hands every token through unchanged.

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$Root = $PSScriptRoot
$Task = if ($args.Count -gt 0) { [string]$args[0] } else { 'build' }
$Rest = @($args | Select-Object -Skip 1)
$Configuration = 'Release'
$NativeBuild = Join-Path $Root 'build/native'
$Cli = Join-Path $Root "src/CnnNative.Cli/bin/$Configuration/net10.0/cnn.dll"

function Write-Step([string]$text) { Write-Host "==> $text" -ForegroundColor Cyan }

function Invoke-Checked([string]$exe, [string[]]$arguments) {
    & $exe @arguments
    if ($LASTEXITCODE -ne 0) { throw "'$exe $($arguments -join ' ')' failed with exit code $LASTEXITCODE" }
}

# Debian packages the project needs, with a file or command that shows each is present.
$Packages = [ordered]@{
    'cmake'                 = { Get-Command cmake -ErrorAction SilentlyContinue }
    'g++'                   = { Get-Command g++ -ErrorAction SilentlyContinue }
    'make'                  = { Get-Command make -ErrorAction SilentlyContinue }
    'libgtest-dev'          = { Test-Path '/usr/include/gtest/gtest.h' }
    'pocl-opencl-icd'       = { (Test-Path '/etc/OpenCL/vendors/pocl.icd') }
    'ocl-icd-opencl-dev'    = { (Test-Path '/usr/include/CL/cl.h') -and ((Test-Path '/usr/lib/x86_64-linux-gnu/libOpenCL.so') -or (Test-Path '/usr/lib/aarch64-linux-gnu/libOpenCL.so')) }
    'dataset-fashion-mnist' = { Test-Path '/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz' }
}

function Invoke-Setup {
    Write-Step 'setup: checking Debian packages'
    if (-not $IsLinux) { Write-Warning 'setup installs Debian packages on Linux only; install CMake, a C compiler and an OpenCL ICD yourself.'; return }
    $missing = @($Packages.Keys | Where-Object { -not (& $Packages[$_]) })
    if ($missing.Count -eq 0) { Write-Host 'all packages present'; return }
    $isRoot = (& id -u) -eq '0'
    if (-not $isRoot -or -not (Get-Command apt-get -ErrorAction SilentlyContinue)) {
        Write-Warning ("missing Debian packages: {0}`n  install them with: sudo apt-get install -y {0}" -f ($missing -join ' '))
        return
    }
    Write-Host "installing: $($missing -join ' ')"
    $env:DEBIAN_FRONTEND = 'noninteractive'
    Invoke-Checked 'apt-get' @('update', '-qq')
    Invoke-Checked 'apt-get' (@('install', '-y', '-qq', '--no-install-recommends') + $missing)
}

function Invoke-NativeBuild {
    Write-Step 'build: native/ with CMake'
    Invoke-Checked 'cmake' @('-S', $Root, '-B', $NativeBuild, '-DCMAKE_BUILD_TYPE=Release', '-Wno-dev')
    Invoke-Checked 'cmake' @('--build', $NativeBuild, '--parallel', '2')
}

function Invoke-Build {
    Invoke-Setup
    Invoke-NativeBuild
    Write-Step 'build: dotnet build -c Release'
    Invoke-Checked 'dotnet' @('build', (Join-Path $Root 'CnnNative.sln'), '-c', $Configuration, '-nologo', '-v', 'q', '-clp:NoSummary')
}

# Reads CTest's JUnit file: testsuite attributes tests/failures/skipped (+ errors, disabled).
function Get-IntAttribute($node, [string]$name) {
    $v = $node.GetAttribute($name)
    if ([string]::IsNullOrEmpty($v)) { return 0 } else { return [int]$v }
}

# Reads CTest's JUnit file: testsuite attributes tests/failures/errors/skipped/disabled.
function Get-CTestCounts([string]$junit) {
    if (-not (Test-Path $junit)) { return $null }
    [xml]$x = Get-Content -Raw $junit
    $s = $x.DocumentElement
    $failed = (Get-IntAttribute $s 'failures') + (Get-IntAttribute $s 'errors')
    $skipped = (Get-IntAttribute $s 'skipped') + (Get-IntAttribute $s 'disabled')
    return [pscustomobject]@{ Passed = (Get-IntAttribute $s 'tests') - $failed - $skipped; Failed = $failed; Skipped = $skipped }
}

# Reads a VSTest TRX file: TestRun/ResultSummary/Counters.
function Get-TrxCounts([string]$trx) {
    if (-not (Test-Path $trx)) { return $null }
    [xml]$x = Get-Content -Raw $trx
    $c = $x.TestRun.ResultSummary.Counters
    $failed = (Get-IntAttribute $c 'failed') + (Get-IntAttribute $c 'error') + (Get-IntAttribute $c 'timeout') + (Get-IntAttribute $c 'aborted')
    $skipped = (Get-IntAttribute $c 'notExecuted') + (Get-IntAttribute $c 'inconclusive')
    return [pscustomobject]@{ Passed = (Get-IntAttribute $c 'passed'); Failed = $failed; Skipped = $skipped }
}

# Runs the NUnit suite (with extra dotnet test arguments, e.g. a filter) and returns its counts from the TRX file.
function Invoke-NUnit([string]$results, [string]$trxName, [string[]]$extra) {
    & dotnet test (Join-Path $Root 'tests/CnnNative.Tests/CnnNative.Tests.csproj') -c $Configuration --no-build -nologo `
        --logger "trx;LogFileName=$trxName" --logger 'console;verbosity=normal' --results-directory $results @extra | Out-Host
    $exit = $LASTEXITCODE
    $counts = Get-TrxCounts (Join-Path $results $trxName)
    if ($null -eq $counts) { $counts = [pscustomobject]@{ Passed = 0; Failed = 1; Skipped = 0 }; Write-Warning "NUnit wrote no results (exit $exit)" }
    elseif ($exit -ne 0 -and $counts.Failed -eq 0) { $counts.Failed = 1; Write-Warning "dotnet test exited with $exit" }
    return $counts
}

function Invoke-Test {
    Invoke-Build
    $results = Join-Path $Root 'TestResults'
    if (Test-Path $results) { Remove-Item -Recurse -Force $results }
    New-Item -ItemType Directory -Force $results | Out-Null
    $suites = @()

    Write-Step 'test: CTest (native/)'
    $junit = Join-Path $results 'ctest.xml'
    & ctest --test-dir $NativeBuild --output-on-failure --output-junit $junit
    $ctestExit = $LASTEXITCODE
    $ctest = Get-CTestCounts $junit
    if ($null -eq $ctest) { $ctest = [pscustomobject]@{ Passed = 0; Failed = 1; Skipped = 0 } ; Write-Warning "CTest wrote no results (exit $ctestExit)" }
    elseif ($ctestExit -ne 0 -and $ctest.Failed -eq 0) { $ctest.Failed = 1; Write-Warning "CTest exited with $ctestExit" }
    $suites += [pscustomobject]@{ Name = 'CTest'; Counts = $ctest }

    Write-Step 'test: NUnit (tests/CnnNative.Tests)'
    $suites += [pscustomobject]@{ Name = 'NUnit'; Counts = (Invoke-NUnit $results 'nunit.trx' @()) }

    # The cpu device's fixtures again with narrower vector instructions, so its fallback paths run too: AVX-512 off
    # where the processor has it (the JIT otherwise encodes Vector256 code with AVX-512 instructions; in .NET 10
    # DOTNET_EnableAVX512F=0 no longer turns it off), and AVX2 off (the portable path, no FMA).
    $legs = @()
    if ([System.Runtime.Intrinsics.X86.Avx512F]::IsSupported) { $legs += [pscustomobject]@{ Name = 'NUnit cpu, AVX-512 off'; Variable = 'DOTNET_EnableAVX512' } }
    $legs += [pscustomobject]@{ Name = 'NUnit cpu, AVX2 off'; Variable = 'DOTNET_EnableAVX2' }
    foreach ($leg in $legs) {
        Write-Step "test: $($leg.Name) ($($leg.Variable)=0, category CpuDevice)"
        Set-Item "env:$($leg.Variable)" '0'
        try { $counts = Invoke-NUnit $results "nunit-$($leg.Variable).trx" @('--filter', 'TestCategory=CpuDevice') }
        finally { Remove-Item "env:$($leg.Variable)" }
        $suites += [pscustomobject]@{ Name = $leg.Name; Counts = $counts }
    }

    foreach ($s in $suites) { Write-Host ("{0,-23} {1} passed, {2} failed, {3} skipped" -f $s.Name, $s.Counts.Passed, $s.Counts.Failed, $s.Counts.Skipped) }
    $p = ($suites | ForEach-Object { $_.Counts.Passed } | Measure-Object -Sum).Sum
    $f = ($suites | ForEach-Object { $_.Counts.Failed } | Measure-Object -Sum).Sum
    $k = ($suites | ForEach-Object { $_.Counts.Skipped } | Measure-Object -Sum).Sum
    Write-Host "$p passed, $f failed, $k skipped"
    if ($f -gt 0) { exit 1 }
}

function Invoke-Cnn([string[]]$arguments) {
    & dotnet $Cli @arguments
    exit $LASTEXITCODE
}

switch ($Task) {
    'setup' { Invoke-Setup }
    'build' { Invoke-Build }
    'test'  { Invoke-Test }
    'train' { Invoke-Build; Invoke-Cnn (@('train') + $Rest) }
    'cnn'   { Invoke-Build; Invoke-Cnn $Rest }
    'bench' {
        Invoke-Build
        Write-Step 'bench: BenchmarkDotNet suite'
        Push-Location $Root
        try {
            Invoke-Checked 'dotnet' (@('run', '--project', 'bench/CnnNative.Bench', '-c', $Configuration, '--no-build', '--', '--exporters', 'GitHub') + $Rest)
        } finally { Pop-Location }
    }
    default { Write-Error "Unknown task '$Task'. Tasks: setup, build, test, train, bench, cnn."; exit 2 }
}
