using System.CommandLine;
using System.Globalization;
using MovData.Media;

namespace MovData.Cli.Commands;

/// <summary>movdata info: what a recording holds, and what a cut costs where it lies.</summary>
internal static class InfoCommand
{
    internal static Command Create(Io io)
    {
        Argument<string> path = Shared.File("REC", "an MPEG-TS (.ts), M2TS (.m2ts, .mts), MP4 or MOV recording");
        Option<bool> json = Shared.Json();
        Option<bool> verbose = Shared.Verbose();
        var command = new Command("info", Shared.Describe(
            "Show a recording's format, duration, streams or tracks, keyframes (a transport stream is read whole; an MP4's index only) and how a cut shifts data on its filesystem.",
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
            if (info.IsoBmff is { } iso)
            {
                return p.GetValue(json) ? WriteMovieJson(io, info, iso) : WriteMovie(io, rec, info, iso);
            }
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
                    w.WriteBoolean("savedParts", info.SavedParts);
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
            o.WriteLine(ts is { Video: null }
                ? MediaText.Invariant($"  radio      no video: cut on the {info.Keyframes} audio PES of PID {ts.CutStream.Pid} ({ts.CutStream.Codec}) that start with a frame, one every {info.MeanGop:0.###} s on average")
                : MediaText.Invariant($"  keyframes  {info.Keyframes}{(ts is null ? "" : $" on PID {ts.CutStream.Pid}")}, one every {info.MeanGop:0.##} s on average"));
            o.WriteLine(info.SavedParts ? SavedPartsLine(rec) : $"  a cut here {CostSentence(info.CutMethod)}");
            if (ts is { PartialLastPacket: > 0 })
            {
                o.WriteLine(MediaText.Invariant($"  warning: the last packet is incomplete ({ts.PartialLastPacket} bytes): truncate -s {info.Size - ts.PartialLastPacket} before cutting"));
            }
            return 0;
        }));
        return command;
    }

    /// <summary>A transport stream's programs and streams, its video PID (null in radio) and the PID cuts are made on.</summary>
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
        if (ts.Video is { } video)
        {
            w.WriteNumber("videoPid", video.Pid);
        }
        else
        {
            w.WriteNull("videoPid"); // radio
        }
        w.WriteNumber("cutPid", ts.CutStream.Pid);
    }

    /// <summary>An MP4 or MOV file: brand, moov, tracks, keyframes, and what a cut would cost.</summary>
    private static int WriteMovie(Io io, string rec, RecordingInfo info, IsoBmffDetails iso)
    {
        var o = io.Out;
        string brand = iso.MajorBrand is { } major ? $"brand {major.TrimEnd()} ({string.Join(' ', iso.CompatibleBrands.Select(b => b.TrimEnd()))})" : "no ftyp";
        o.WriteLine(MediaText.Invariant($"{rec}: {MediaText.FormatName(info.Format)}, {brand}, {info.Size} bytes ({Sizes.Human(info.Size)})"));
        o.WriteLine(MediaText.Invariant($"  duration   {MediaText.Clock(info.Duration)} ({info.Duration:0.###} s)"));
        o.WriteLine(MediaText.Invariant($"  moov       {iso.MoovSize} bytes ({Sizes.Human(iso.MoovSize)}) at offset {iso.MoovOffset}, {(iso.MoovBeforeMedia ? "before" : "after")} the media ({iso.MediaDataBoxes} mdat, {Sizes.Human(iso.MediaDataBytes)})"));
        if (iso.Fragmented)
        {
            o.WriteLine(iso.SplitIndex
                ? MediaText.Invariant($"  fragmented {iso.Fragments} movie fragments (moof) after a first one that moov indexes")
                : MediaText.Invariant($"  fragmented {iso.Fragments} movie fragments (moof): the samples are indexed there, not in moov"));
        }
        foreach (IsoBmffTrack t in iso.Tracks)
        {
            string sync = t.SyncSamples == t.Samples ? "all sync" : MediaText.Invariant($"{t.SyncSamples} sync");
            o.WriteLine(MediaText.Invariant($"  track {t.Id,-4} {t.Kind.ToString().ToLowerInvariant(),-6} {t.Codec} ({t.SampleEntry}), {t.Duration:0.###} s, {t.Samples} samples, {sync}{(t.EditList ? ", edit list" : "")}"));
        }
        o.WriteLine(iso.VideoTrackId is null
            ? MediaText.Invariant($"  no video   cut on the {info.Keyframes} audio frames of track {iso.CutTrackId} ({iso.Tracks.First(t => t.Id == iso.CutTrackId).Codec}), one every {info.MeanGop:0.###} s on average")
            : MediaText.Invariant($"  keyframes  {info.Keyframes} on track {iso.CutTrackId}, one every {info.MeanGop:0.##} s on average"));
        o.WriteLine(info.SavedParts ? SavedPartsLine(rec)
            : !iso.CanCut
            ? "  a cut here is not supported: its first samples are indexed in moov and the rest in fragments in a way a cut does not rewrite (movdata cut says which)"
            : iso.Fragmented
            ? MediaText.Invariant($"  a cut here removes whole fragments, writes a few bytes in each fragment after it{(iso.SplitIndex ? " (and moov, if it takes the first)" : "")}, and {CostSentence(info.CutMethod)}")
            : MediaText.Invariant($"  a cut here writes a new moov (about {Sizes.Human(iso.MoovSize)}) and {CostSentence(info.CutMethod)}"));
        return 0;
    }

    /// <summary>What info says of a file of removed parts in place of what a cut of it costs.</summary>
    private static string SavedPartsLine(string path) =>
        $"  saved parts  what a cut removed, with what undoes it: movdata restore RECORDING {CutReport.Quoted(path)}; a cut of this file is refused";

    private static int WriteMovieJson(Io io, RecordingInfo info, IsoBmffDetails iso)
    {
        Shared.WriteJson(io, w =>
        {
            w.WriteStartObject();
            w.WriteString("format", MediaText.FormatName(info.Format));
            w.WriteNumber("size", info.Size);
            w.WriteNumber("duration", Math.Round(info.Duration, 3));
            if (iso.MajorBrand is { } major)
            {
                w.WriteString("brand", major);
            }
            else
            {
                w.WriteNull("brand");
            }
            w.WriteStartArray("compatibleBrands");
            foreach (string b in iso.CompatibleBrands)
            {
                w.WriteStringValue(b);
            }
            w.WriteEndArray();
            w.WriteStartObject("moov");
            w.WriteNumber("offset", iso.MoovOffset);
            w.WriteNumber("size", iso.MoovSize);
            w.WriteBoolean("beforeMedia", iso.MoovBeforeMedia);
            w.WriteEndObject();
            w.WriteNumber("mdatBoxes", iso.MediaDataBoxes);
            w.WriteNumber("mdatBytes", iso.MediaDataBytes);
            w.WriteBoolean("fragmented", iso.Fragmented);
            w.WriteNumber("fragments", iso.Fragments);
            w.WriteStartArray("tracks");
            foreach (IsoBmffTrack t in iso.Tracks)
            {
                w.WriteStartObject();
                w.WriteNumber("id", t.Id);
                w.WriteString("kind", t.Kind.ToString().ToLowerInvariant());
                w.WriteString("handler", t.Handler);
                w.WriteString("sampleEntry", t.SampleEntry);
                w.WriteString("codec", t.Codec);
                w.WriteNumber("timescale", t.Timescale);
                w.WriteNumber("duration", Math.Round(t.Duration, 6));
                w.WriteNumber("samples", t.Samples);
                w.WriteNumber("syncSamples", t.SyncSamples);
                w.WriteBoolean("editList", t.EditList);
                w.WriteBoolean("largeOffsets", t.LargeOffsets);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            if (iso.VideoTrackId is { } video)
            {
                w.WriteNumber("videoTrack", video);
            }
            else
            {
                w.WriteNull("videoTrack");
            }
            w.WriteNumber("cutTrack", iso.CutTrackId);
            w.WriteNumber("keyframes", info.Keyframes);
            w.WriteNumber("meanGop", Math.Round(info.MeanGop, 3));
            w.WriteString("cutMethod", info.CutMethod.ToContractName());
            w.WriteBoolean("canCut", iso.CanCut && !info.SavedParts);
            w.WriteBoolean("savedParts", info.SavedParts);
            w.WriteEndObject();
        });
        return 0;
    }

    private static string CostSentence(RangeMethod m) => m switch
    {
        RangeMethod.Native => "is native: whole blocks collapse in the filesystem, nothing after it is copied",
        RangeMethod.Emulated => "is emulated: what follows it is shifted by clones, nothing is copied",
        _ => "copies: this filesystem cannot shift blocks, so what follows a cut is rewritten",
    };

}
