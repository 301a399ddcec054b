using System.Globalization;

namespace MovData.Tests.Harness;

/// <summary>Compiles a small C program with gcc and reads what it prints as "name value" lines:
/// how the layout tests learn sizes, offsets and constants from the real headers.</summary>
public static class CProgram
{
    public static Dictionary<string, long> Values(string source, params string[] gccArgs)
    {
        string dir = Directory.CreateTempSubdirectory("movdata-c").FullName;
        try
        {
            string file = Path.Combine(dir, "program.c"), binary = Path.Combine(dir, "program");
            File.WriteAllText(file, source);
            Tools.MustRun("gcc", ["-Wall", "-Werror", .. gccArgs, "-o", binary, file]);
            (int code, string output) = Tools.Run(binary);
            Assert.True(code == 0, output);
            return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(line => line.Split(' '))
                .ToDictionary(p => string.Join(' ', p[..^1]), p => long.Parse(p[^1], CultureInfo.InvariantCulture));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Every name C printed has the same value on the managed side, and no name is missing on either.</summary>
    public static void AssertSame(Dictionary<string, long> c, Dictionary<string, long> managed, string cName, string managedName)
    {
        Assert.Equal(c.Keys.Order(), managed.Keys.Order());
        foreach ((string name, long value) in c)
        {
            Assert.True(value == managed[name], $"{name}: {cName} says {value}, {managedName} has {managed[name]}");
        }
    }
}
