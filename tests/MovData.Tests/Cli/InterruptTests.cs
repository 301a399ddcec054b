using System.Diagnostics;
using System.Text.Json;
using MovData.Tests.Harness;

namespace MovData.Tests.Cli;

/// <summary>
/// SIGINT and SIGTERM as a person or a service manager sends them to the movdata process: the
/// edit stops at its next step boundary with the files consistent, says how far it got and
/// where the rest is recorded, exits 130; the next edit of those files finishes it first and
/// says so.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class InterruptTests
{
    [Theory]
    [InlineData("SIGINT")]
    [InlineData("SIGTERM")]
    public void Move_Interrupted_StopsConsistent_SaysSo_AndTheNextEditFinishesIt(string signal)
    {
        // ext4 copies: a 320 MiB move is five chunks (64 MiB, then 128 MiB, ...), long enough
        // to be interrupted after the first.
        using ScratchDir dir = Scratch.On("ext4");
        const long length = 320L << 20;
        string donor = dir.File("donor"), receiver = dir.File("receiver");
        byte[] data = Files.Pattern(901, length);
        Files.Create(donor, length, (0, data));
        Files.Create(receiver, length);

        using Process p = CliProcess.Start(null, "move", donor, receiver, "--donor-offset", "0", "--receiver-offset", "0", "--length", "320M", "--json");
        // Signal once the first chunk has been committed (the donor's head is a hole).
        var wait = Stopwatch.StartNew();
        while (Files.Data(donor, 0, 4096).Count > 0 && !p.HasExited && wait.Elapsed < TimeSpan.FromSeconds(30))
        {
            Thread.Sleep(5);
        }
        Assert.False(p.HasExited, "the move ended before it could be interrupted");
        Assert.Equal(0, Tools.Run("kill", $"-{signal[3..]}", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)).Code);
        string output = p.StandardOutput.ReadToEnd(), err = p.StandardError.ReadToEnd();
        p.WaitForExit();

        Assert.True(p.ExitCode == 130, $"exit {p.ExitCode}: {err}");
        Assert.Matches(@"^movdata: move interrupted after [\d.]+ [KMG]iB of 320 MiB; the rest is recorded: movdata recover " + System.Text.RegularExpressions.Regex.Escape(dir.Path) + "\n$", err);
        JsonElement error = JsonDocument.Parse(output).RootElement.GetProperty("error");
        Assert.Equal(130, error.GetProperty("exit").GetInt32());
        Assert.Equal("ECANCELED", error.GetProperty("errno").GetString());
        long done = error.GetProperty("done").GetInt64();
        Assert.InRange(done, 64L << 20, length - 1);

        // Consistent at the boundary: what is reported done is in the receiver and gone from
        // the donor, the rest is in the donor; the record of the rest is kept.
        Assert.True(data.AsSpan(0, (int)done).SequenceEqual(Files.Read(receiver, 0, done)));
        Assert.True(data.AsSpan((int)done).SequenceEqual(Files.Read(donor, done, length - done)));
        Assert.Empty(Files.Data(donor, 0, done));
        Assert.Empty(Files.Data(receiver, done, length));
        Assert.Single(Directory.GetFiles(Path.Combine(dir.Path, ".movdata-journal"), "*.edit"));

        // The next edit of either file finishes the move first, and says so.
        (int code, string json, string note) = CliProcess.Movdata("punch", receiver, "--offset", "0", "--length", "4k", "--json");
        Assert.True(code == 0, note);
        (code, json, note) = CliProcess.Movdata("collapse", donor, "--offset", "0", "--length", "4k", "--json");
        Assert.True(code == 0, note);
        Assert.Matches(@"^movdata: finished an interrupted move \(donor .*donor, receiver .*receiver\) first\n$", note);
        JsonElement recovered = Assert.Single(JsonDocument.Parse(json).RootElement.GetProperty("recovered").EnumerateArray());
        Assert.Equal("finished", recovered.GetProperty("outcome").GetString());
        Assert.True(data.AsSpan(4096).SequenceEqual(Files.Read(receiver, 4096, length - 4096)));
        Assert.Empty(Files.Data(donor, 0, length - 4096));
        Assert.False(Directory.Exists(Path.Combine(dir.Path, ".movdata-journal")));
    }

    [Fact]
    public void Probe_OfAReadOnlyMount_SaysSo_AndOfProc_Refuses()
    {
        Assert.SkipUnless(Tools.IsRoot, "mounting needs root");
        string mnt = Path.Combine(Path.GetTempPath(), $"movdata-ro-{Guid.NewGuid():N}");
        Directory.CreateDirectory(mnt);
        try
        {
            Tools.MustRun("mount", "-t", "tmpfs", "-o", "ro,size=1m", "movdata-ro", mnt);
            (int code, string output, string err) = CliProcess.Movdata("probe", mnt, "--json");
            Assert.True(code == 0, err);
            JsonElement root = JsonDocument.Parse(output).RootElement;
            Assert.True(root.GetProperty("readOnly").GetBoolean());
            Assert.All(root.GetProperty("operations").EnumerateObject(), op => Assert.Equal("unsupported", op.Value.GetString()));
        }
        finally
        {
            Tools.Run("umount", mnt);
            Directory.Delete(mnt);
        }
        foreach (string pseudo in new[] { "/proc", "/proc/self/status", "/sys/kernel" })
        {
            (int code, string output, string err) = CliProcess.Movdata("probe", pseudo, "--json");
            Assert.True(code == 3, $"probe {pseudo}: exit {code}: {err}");
            Assert.Matches("^movdata: .* is on (proc|sysfs), a kernel filesystem that holds no regular files", err);
            Assert.Equal("EOPNOTSUPP", JsonDocument.Parse(output).RootElement.GetProperty("error").GetProperty("errno").GetString());
        }
    }
}
