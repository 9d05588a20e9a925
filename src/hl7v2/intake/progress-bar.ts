/** @module A progress bar on stderr for the CLI (a line per 10% when stderr is not a terminal). */

export interface ProgressBar {
  tick(n?: number): void;
  done(): void;
}

export function progressBar(label: string, total: number, stream: NodeJS.WriteStream = process.stderr): ProgressBar {
  let count = 0;
  let lastDecile = -1;
  const width = 30;
  const draw = () => {
    const ratio = total > 0 ? Math.min(1, count / total) : 1;
    if (stream.isTTY) {
      const filled = Math.round(ratio * width);
      stream.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${count}/${total}`);
    } else {
      const decile = Math.floor(ratio * 10);
      if (decile !== lastDecile) {
        lastDecile = decile;
        stream.write(`${label} ${count}/${total} (${decile * 10}%)\n`);
      }
    }
  };
  draw();
  return {
    tick(n = 1) {
      count += n;
      draw();
    },
    done() {
      count = Math.max(count, total);
      draw();
      if (stream.isTTY) stream.write('\n');
    },
  };
}
