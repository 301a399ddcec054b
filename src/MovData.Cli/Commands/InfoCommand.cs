using System.CommandLine;
using System.Globalization;
using MovData.Media;

namespace MovData.Cli.Commands;

/// <summary>movdata info: what a recording holds, and what a cut costs where it lies.</summary>
internal static class InfoCommand
{
    internal static Command Create(Io io)
    {
        Argument<string> path = Shared.File("REC", "an MPEG-TS (.ts) or M2TS (.m2ts, .mts) recording");
        Option<bool> json = Shared.Json();
        Option<bool> verbose = Shared.Verbose();
        var command = new Command("info", Shared.Describe(
            "Show a recording's format, duration, programs and streams, keyframes (reads the whole file) and how a cut shifts data on its filesystem.",
            "movdata info news.ts --json"))
        {
            path, json, verbose,
        };
        command.SetAction(p => Shared.Guard(io, p.GetValue(verbose), p.GetValue(json), () =>
        {
            string rec = p.GetValue(path)!;
            long size = new FileInfo(rec).Exists ? new FileInfo(rec).Length : 0;
            RecordingInfo info = ProgressLine.Around(io, p.GetValue(json), size, "reading", progress => MediaFile.Inspect(rec, progress, io.Cancel));
            TransportStreamDetails? ts = info.TransportStream;
            if (p.GetValue(json))
            {
                Shared.WriteJson(io, w =>
                {
                    w.WriteStartObject();
                    w.WriteString("format", MediaText.FormatName(info.Format));
                    if (ts is not null)
                    {
                        w.WriteNumber("packetSize", ts.PacketSize);
                        w.WriteNumber("firstPacket", ts.FirstPacket);
                    }
                    w.WriteNumber("size", info.Size);
                    w.WriteNumber("duration", Math.Round(info.Duration, 3));
                    if (ts is not null)
                    {
                        WritePrograms(w, ts);
                    }
                    w.WriteNumber("keyframes", info.Keyframes);
                    w.WriteNumber("meanGop", Math.Round(info.MeanGop, 3));
                    w.WriteString("cutMethod", info.CutMethod.ToContractName());
                    if (ts is not null)
                    {
                        w.WriteNumber("partialLastPacket", ts.PartialLastPacket);
                    }
                    w.WriteEndObject();
                });
                return 0;
            }
            var o = io.Out;
            o.WriteLine(ts is null
                ? MediaText.Invariant($"{rec}: {MediaText.FormatName(info.Format)}, {info.Size} bytes ({Sizes.Human(info.Size)})")
                : MediaText.Invariant($"{rec}: {MediaText.FormatName(info.Format)}, {ts.PacketSize}-byte packets from offset {ts.FirstPacket}, {info.Size} bytes ({Sizes.Human(info.Size)})"));
            o.WriteLine(MediaText.Invariant($"  duration   {MediaText.Clock(info.Duration)} ({info.Duration:0.###} s)"));
            foreach (MediaProgram program in ts?.Programs ?? [])
            {
                o.WriteLine(MediaText.Invariant($"  program {program.Number} (PMT PID {program.PmtPid})"));
                foreach (MediaTrack s in program.Streams)
                {
                    o.WriteLine(MediaText.Invariant($"    PID {s.Pid,-5} {s.Kind.ToString().ToLowerInvariant(),-6} {s.Codec} (type 0x{s.StreamType:x2})"));
                }
            }
            o.WriteLine(MediaText.Invariant($"  keyframes  {info.Keyframes}{(ts is null ? "" : $" on PID {ts.Video.Pid}")}, one every {info.MeanGop:0.##} s on average"));
            o.WriteLine($"  a cut here {CostSentence(info.CutMethod)}");
            if (ts is { PartialLastPacket: > 0 })
            {
                o.WriteLine(MediaText.Invariant($"  warning: the last packet is incomplete ({ts.PartialLastPacket} bytes): truncate -s {info.Size - ts.PartialLastPacket} before cutting"));
            }
            return 0;
        }));
        return command;
    }

    /// <summary>A transport stream's programs and streams, and the PID cuts are made on.</summary>
    private static void WritePrograms(System.Text.Json.Utf8JsonWriter w, TransportStreamDetails ts)
    {
        w.WriteStartArray("programs");
        foreach (MediaProgram program in ts.Programs)
        {
            w.WriteStartObject();
            w.WriteNumber("number", program.Number);
            w.WriteNumber("pmtPid", program.PmtPid);
            w.WriteStartArray("streams");
            foreach (MediaTrack s in program.Streams)
            {
                w.WriteStartObject();
                w.WriteNumber("pid", s.Pid);
                w.WriteNumber("streamType", s.StreamType);
                w.WriteString("codec", s.Codec);
                w.WriteString("kind", s.Kind.ToString().ToLowerInvariant());
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteNumber("videoPid", ts.Video.Pid);
    }

    private static string CostSentence(RangeMethod m) => m switch
    {
        RangeMethod.Native => "is native: whole blocks collapse in the filesystem, nothing after it is copied",
        RangeMethod.Emulated => "is emulated: what follows it is shifted by clones, nothing is copied",
        _ => "copies: this filesystem cannot shift blocks, so what follows a cut is rewritten",
    };

}
