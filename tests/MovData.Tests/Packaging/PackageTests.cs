using MovData.Tests.CApi;
using MovData.Tests.Harness;
using System.IO.Compression;
using System.Text.Json;

namespace MovData.Tests.Packaging;

/// <summary>dotnet pack makes the library and the tool packages, and the tool installs from a
/// local folder the way .NET people install tools.</summary>
[Collection(ReleaseBuilds.Name)]
public sealed class PackageTests
{
    [Fact]
    public void Pack_MakesLibraryAndToolPackages_AndTheToolInstallsAndRuns()
    {
        using ScratchDir dir = Scratch.On("xfs");
        string work = Directory.CreateTempSubdirectory("movdata-pack-").FullName;
        try
        {
            string feed = Path.Combine(work, "feed"), tools = Path.Combine(work, "tools");
            foreach (string project in new[] { "MovData", "MovData.Cli" })
            {
                Tools.MustRun("dotnet", "pack", Path.Combine(NativeLibrary.RepoRoot, "src", project), "-c", "Release", "-o", feed, "-nologo", "-v", "quiet");
            }
            string library = Path.Combine(feed, "MovData.0.1.0.nupkg");
            Assert.True(File.Exists(Path.Combine(feed, "MovData.0.1.0.snupkg")), "no symbol package");
            using (ZipArchive zip = ZipFile.OpenRead(library))
            {
                string[] names = [.. zip.Entries.Select(e => e.FullName)];
                Assert.Contains("README.md", names);
                Assert.Contains("lib/net10.0/MovData.dll", names);
                Assert.Contains("lib/net10.0/MovData.xml", names);
                using var nuspec = new StreamReader(zip.GetEntry("MovData.nuspec")!.Open());
                string text = nuspec.ReadToEnd();
                Assert.Contains("<license type=\"expression\">MIT</license>", text, StringComparison.Ordinal);
                Assert.Contains("<repository type=\"git\" commit=", text, StringComparison.Ordinal);
            }

            Tools.MustRun("dotnet", "tool", "install", "--tool-path", tools, "--add-source", feed, "MovData.Tool");
            (int code, string output) = Tools.Run(Path.Combine(tools, "movdata"), "probe", dir.Path, "--json");
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
}

/// <summary>Tests that build the Release configuration share its output folders, so they run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class ReleaseBuilds
{
    public const string Name = "release builds";
}
