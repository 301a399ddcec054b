using MovData.Tests.CApi;
using MovData.Tests.Harness;
using System.IO.Compression;
using System.Text.Json;

namespace MovData.Tests.Packaging;

/// <summary>eng/pack.sh makes the library package and the tool's: MovData.Tool names a Native
/// AOT package per platform, and dotnet tool install from a local folder gives the native
/// binary, as .NET people install tools.</summary>
[Collection(ReleaseBuilds.Name)]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class PackageTests
{
    [Fact]
    public void Pack_MakesLibraryAndNativeToolPackages_AndTheToolInstallsAndRuns()
    {
        using ScratchDir dir = Scratch.On("xfs");
        string work = Directory.CreateTempSubdirectory("movdata-pack-").FullName;
        try
        {
            string feed = Path.Combine(work, "feed"), tools = Path.Combine(work, "tools");
            Tools.MustRun("bash", Path.Combine(NativeLibrary.RepoRoot, "eng", "pack.sh"), feed);
            string library = Path.Combine(feed, "MovData.0.1.0.nupkg");
            Assert.True(File.Exists(Path.Combine(feed, "MovData.0.1.0.snupkg")), "no symbol package");
            using (ZipArchive zip = ZipFile.OpenRead(library))
            {
                string[] names = [.. zip.Entries.Select(e => e.FullName)];
                Assert.Contains("PACKAGE.md", names);
                Assert.Contains("lib/net10.0/MovData.dll", names);
                Assert.Contains("lib/net10.0/MovData.xml", names);
                using var nuspec = new StreamReader(zip.GetEntry("MovData.nuspec")!.Open());
                string text = nuspec.ReadToEnd();
                Assert.Contains("<license type=\"expression\">MIT</license>", text, StringComparison.Ordinal);
                Assert.Contains("<repository type=\"git\" commit=", text, StringComparison.Ordinal);
                Assert.Contains("<readme>PACKAGE.md</readme>", text, StringComparison.Ordinal);
            }
            RunThePackageReadmesExample(feed, work, dir);
            using (ZipArchive pointer = ZipFile.OpenRead(Path.Combine(feed, "MovData.Tool.0.1.0.nupkg")))
            {
                using var settings = new StreamReader(pointer.GetEntry("tools/any/any/DotnetToolSettings.xml")!.Open());
                string xml = settings.ReadToEnd();
                Assert.Contains("RuntimeIdentifier=\"linux-x64\" Id=\"MovData.Tool.linux-x64\"", xml, StringComparison.Ordinal);
                Assert.Contains("RuntimeIdentifier=\"linux-arm64\" Id=\"MovData.Tool.linux-arm64\"", xml, StringComparison.Ordinal);
            }
            // Each platform package holds the one native binary, for its machine (file(1) is the judge).
            foreach ((string rid, string machine) in new[] { ("linux-x64", "x86-64"), ("linux-arm64", "ARM aarch64") })
            {
                string binary = NativeBinaryOf(Path.Combine(feed, $"MovData.Tool.{rid}.0.1.0.nupkg"), rid, work);
                (int fileCode, string kind) = Tools.Run("file", "-b", binary);
                Assert.True(fileCode == 0, kind);
                Assert.StartsWith("ELF 64-bit LSB pie executable, " + machine, kind, StringComparison.Ordinal);
            }
            // The arm64 one runs, under qemu's user-mode emulation.
            string arm = Path.Combine(work, "linux-arm64", "MovData.Cli");
            File.SetUnixFileMode(arm, UnixFileMode.UserRead | UnixFileMode.UserExecute);
            (int armCode, string armHelp) = Tools.Run("qemu-aarch64", "-L", "/usr/aarch64-linux-gnu", arm, "--help");
            Assert.True(armCode == 0, armHelp);
            Assert.Contains("Usage:", armHelp, StringComparison.Ordinal);

            Tools.MustRun("dotnet", "tool", "install", "--tool-path", tools, "--add-source", feed, "MovData.Tool");
            string installed = Path.Combine(tools, "movdata");
            (int code, string output) = Tools.Run("file", "-b", "-L", installed);
            Assert.True(code == 0 && output.StartsWith("ELF 64-bit LSB pie executable, x86-64", StringComparison.Ordinal), $"the installed movdata is not the native binary: {output}");
            (code, output) = Tools.Run(installed, "--help");
            Assert.True(code == 0, output);
            Assert.Contains("Usage:\n  movdata [command] [options]", output, StringComparison.Ordinal);
            (code, output) = Tools.Run(installed, "probe", dir.Path, "--json");
            Assert.True(code == 0, output);
            JsonElement probe = JsonDocument.Parse(output).RootElement;
            Assert.Equal("xfs", probe.GetProperty("fsType").GetString());
            Assert.Equal("emulated", probe.GetProperty("operations").GetProperty("move").GetString());
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>
    /// The library package's readme shows the API in a few lines: they are built, as a
    /// package user's console app, against the package just made, and run on XFS, where they
    /// say what the readme says they say and leave the bytes where they say.
    /// </summary>
    private static void RunThePackageReadmesExample(string feed, string work, ScratchDir dir)
    {
        string readme = File.ReadAllText(Path.Combine(NativeLibrary.RepoRoot, "src", "MovData", "PACKAGE.md"));
        int start = readme.IndexOf("```csharp\n", StringComparison.Ordinal) + "```csharp\n".Length;
        string example = readme[start..readme.IndexOf("\n```", start, StringComparison.Ordinal)];
        string app = Path.Combine(work, "app");
        Directory.CreateDirectory(app);
        File.WriteAllText(Path.Combine(app, "Program.cs"), example);
        File.WriteAllText(Path.Combine(app, "app.csproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <!-- Its own package folder: the MovData 0.1.0 just packed, not one cached from an earlier run. -->
                <RestorePackagesPath>$(MSBuildProjectDirectory)/packages</RestorePackagesPath>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="MovData" Version="0.1.0" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
            <configuration>
              <packageSources>
                <add key="just-packed" value="{feed}" />
              </packageSources>
            </configuration>
            """);
        Tools.MustRun("dotnet", "build", app, "-c", "Release", "-o", Path.Combine(app, "out"), "-nologo", "-v", "quiet");

        // The files it names, where it runs: take1.ts with 64 MiB of data at 1 GiB, edit.ts with a hole at 256 MiB.
        byte[] data = Files.Pattern(130, 64L << 20);
        Files.Create(Path.Combine(dir.Path, "take1.ts"), (1L << 30) + (64L << 20), (1L << 30, data));
        Files.Create(Path.Combine(dir.Path, "edit.ts"), 512L << 20);
        byte[] rec = Files.Pattern(131, 8L << 20);
        Files.Create(Path.Combine(dir.Path, "rec.ts"), rec.Length, (0, rec));
        var psi = new System.Diagnostics.ProcessStartInfo("dotnet", [Path.Combine(app, "out", "app.dll")]) { WorkingDirectory = dir.Path, RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = System.Diagnostics.Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, output);
        Assert.Equal("clone-punch, 0 bytes copied\n", output);
        // The move put the donor's bytes at 256 MiB of edit.ts; the splice then opened 8 MiB before them.
        Assert.True(data.AsSpan().SequenceEqual(Files.Read(Path.Combine(dir.Path, "edit.ts"), (256L << 20) + (8L << 20), 64L << 20)), "edit.ts does not hold the moved bytes");
        // rec.ts lost 1 MiB at 4 MiB and got a 1 MiB hole there instead.
        string recPath = Path.Combine(dir.Path, "rec.ts");
        Assert.Equal(8L << 20, new FileInfo(recPath).Length);
        Files.AssertHole(recPath, 4L << 20, 1L << 20);
        Assert.True(rec.AsSpan(5 << 20).SequenceEqual(Files.Read(recPath, 5L << 20, 3L << 20)), "rec.ts's tail moved");
    }

    /// <summary>The package's files for <paramref name="rid"/>: the binary and its tool settings, nothing else.</summary>
    private static string NativeBinaryOf(string package, string rid, string work)
    {
        using ZipArchive zip = ZipFile.OpenRead(package);
        string[] tools = [.. zip.Entries.Select(e => e.FullName).Where(n => n.StartsWith("tools/", StringComparison.Ordinal)).Order()];
        Assert.Equal([$"tools/any/{rid}/DotnetToolSettings.xml", $"tools/any/{rid}/MovData.Cli"], tools);
        string target = Path.Combine(work, rid, "MovData.Cli");
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        zip.GetEntry($"tools/any/{rid}/MovData.Cli")!.ExtractToFile(target);
        return target;
    }
}

/// <summary>Tests that build the Release configuration share its output folders, so they run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class ReleaseBuilds
{
    public const string Name = "release builds";
}
