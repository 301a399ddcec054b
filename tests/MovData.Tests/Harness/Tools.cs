using System.Diagnostics;

namespace MovData.Tests.Harness;

public static class Tools
{
    public static bool IsRoot => Environment.UserName == "root";

    /// <summary>Runs a program, returns exit code and combined output.</summary>
    public static (int Code, string Output) Run(string program, params string[] args) => RunWith(null, program, args);

    /// <summary>Runs a program with extra environment variables; returns exit code and combined output.</summary>
    public static (int Code, string Output) RunWith(IReadOnlyDictionary<string, string>? environment, string program, params string[] args)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[name] = value;
        }
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output);
    }

    /// <summary>Runs a program; returns exit code, standard output and standard error apart.</summary>
    public static (int Code, string Out, string Err) Capture(string program, params string[] args)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var p = Process.Start(psi)!;
        Task<string> err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output, err.Result);
    }

    public static void MustRun(string program, params string[] args)
    {
        (int code, string output) = Run(program, args);
        Assert.True(code == 0, $"{program} {string.Join(' ', args)} failed ({code}): {output}");
    }

    /// <summary>The process is stopped (SIGSTOP): its state in /proc/PID/stat is T.</summary>
    public static bool IsStopped(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('T');
        }
        catch (IOException)
        {
            return false;
        }
    }
}
