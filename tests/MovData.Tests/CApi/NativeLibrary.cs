using MovData.Tests.Harness;

namespace MovData.Tests.CApi;

/// <summary>
/// libmovdata.so as users get it: published (Native AOT) from this checkout once per test run
/// into a temporary folder, with movdata.h beside it, and the C proof program compiled
/// against them with gcc.
/// </summary>
internal static class NativeLibrary
{
    internal static string RepoRoot { get; } = FindRepoRoot();

    private static readonly Lazy<string> Published = new(() =>
    {
        // Under the checkout's artifacts/ (ignored by git), replaced on every run.
        string dir = Path.Combine(RepoRoot, "artifacts", "test-native");
        Tools.MustRun("dotnet", "publish", Path.Combine(RepoRoot, "src", "MovData.Interop"), "-c", "Release", "-o", dir, "-nologo", "-v", "quiet");
        Assert.True(File.Exists(Path.Combine(dir, "libmovdata.so")), $"no libmovdata.so in {dir}");
        return dir;
    }, LazyThreadSafetyMode.ExecutionAndPublication);

    private static readonly Lazy<string> CProgram = new(() => Compile("move_test"), LazyThreadSafetyMode.ExecutionAndPublication);

    private static readonly Lazy<string> CutProgram = new(() => Compile("cut_test"), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Compiles tests/interop/NAME.c against the published header and library.</summary>
    private static string Compile(string name)
    {
        string binary = Path.Combine(Directory, name);
        Tools.MustRun("gcc", "-Wall", "-Wextra", "-Werror", "-o", binary, Path.Combine(RepoRoot, "tests", "interop", $"{name}.c"),
            $"-I{Directory}", $"-L{Directory}", "-lmovdata", $"-Wl,-rpath,{Directory}");
        return binary;
    }

    /// <summary>The folder holding libmovdata.so and movdata.h.</summary>
    internal static string Directory => Published.Value;

    internal static string SharedObject => Path.Combine(Directory, "libmovdata.so");

    internal static string Header => Path.Combine(Directory, "movdata.h");

    internal static string CProofProgram => CProgram.Value;

    internal static string CCutProgram => CutProgram.Value;

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MovData.slnx")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"no MovData.slnx above {AppContext.BaseDirectory}");
    }
}
