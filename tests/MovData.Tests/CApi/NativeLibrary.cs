using MovData.Tests.Harness;

namespace MovData.Tests.CApi;

/// <summary>
/// libmovdata.so as users get it: published (Native AOT) from this checkout once per test run,
/// with movdata.h, movdata.pc and movdata.py beside it; the C proof programs are compiled the
/// way the README says (pkg-config's flags, which carry an rpath) and run without
/// LD_LIBRARY_PATH, and the Python one imports the module from there.
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

    /// <summary>Compiles tests/interop/NAME.c as the README does:
    /// <c>cc prog.c $(PKG_CONFIG_PATH=artifacts/native pkg-config --cflags --libs movdata)</c>.</summary>
    private static string Compile(string name)
    {
        string binary = Path.Combine(Directory, name);
        (int code, string flags) = Tools.RunWith(new Dictionary<string, string> { ["PKG_CONFIG_PATH"] = Directory }, "pkg-config", "--cflags", "--libs", "movdata");
        Assert.True(code == 0, $"pkg-config does not find movdata.pc in {Directory}: {flags}");
        Tools.MustRun("cc", ["-Wall", "-Wextra", "-Werror", "-o", binary, Path.Combine(RepoRoot, "tests", "interop", $"{name}.c"),
            .. flags.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)]);
        return binary;
    }

    /// <summary>Runs tests/interop/move_test.py as a user's script: the shipped module on PYTHONPATH.</summary>
    internal static (int Code, string Output) Python(params string[] args) =>
        Tools.RunWith(new Dictionary<string, string> { ["PYTHONPATH"] = Directory }, "python3", [Path.Combine(RepoRoot, "tests", "interop", "move_test.py"), .. args]);

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
