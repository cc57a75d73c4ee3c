// Brute-force references for Bonsai's further pruning methods (Wanda and Taylor scores,
// N:M sparsity, per-row, block, global and iterative pruning, the gradual schedule, and
// compaction), written straight from the rules and sharing no code with the library (this
// target does not depend on `Pruning`). Weights are row-major `rows × columns` matrices;
// masks are `true` = PRUNED; equal scores prune the lower index first (−0 equals +0).

/// How a block's element scores pool into one block score.
public enum ReferenceBlockPooling: Sendable, Hashable {
  /// The Double sum of the element scores over their count, rounded to `Float`.
  case mean
  /// The largest element score.
  case max
}

/// How an iterative step's sparsity is read.
public enum ReferenceIterativeMode: Sendable, Hashable {
  /// The sparsity is of all units: prune up to floor(s × units), never un-pruning.
  case total
  /// The sparsity is of the units still alive: prune floor(s × (units − already pruned)) more.
  case remaining
}

/// The rules of the further pruning methods, computed the slow way.
public enum ReferenceMethods {
  // MARK: - Scores

  /// Wanda scores: |w_ij| · ‖X_j‖, the exact Double product of the two Floats rounded once.
  public static func wandaScores(weights: [Float], columns: Int, inputNorms: [Float]) -> [Float] {
    precondition(columns > 0 && weights.count % columns == 0, "weights are not rows × columns")
    precondition(inputNorms.count == columns, "one input norm per column")
    var scores = [Float]()
    scores.reserveCapacity(weights.count)
    for index in weights.indices {
      let magnitude = Swift.abs(Double(weights[index]))
      scores.append(Float(magnitude * Double(inputNorms[index % columns])))
    }
    return scores
  }

  /// ‖X_j‖₂ of each column of a row-major `rows × columns` samples × features matrix: the
  /// squares summed in Double, the square root in Double, rounded to `Float`.
  public static func columnNorms(samples: [Float], rows: Int, columns: Int) -> [Float] {
    precondition(samples.count == rows * columns, "samples are not rows × columns")
    var norms = [Float]()
    norms.reserveCapacity(columns)
    for column in 0 ..< columns {
      var sum: Double = 0
      for row in 0 ..< rows {
        let value = Double(samples[row * columns + column])
        sum += value * value
      }
      norms.append(Float(sum.squareRoot()))
    }
    return norms
  }

  /// First-order Taylor scores: |w · g|, the Double product of the two Floats rounded once.
  public static func taylorScores(weights: [Float], gradients: [Float]) -> [Float] {
    precondition(weights.count == gradients.count, "one gradient per weight")
    return weights.indices.map { index in
      Float(Swift.abs(Double(weights[index]) * Double(gradients[index])))
    }
  }

  // MARK: - N:M

  /// N:M sparsity: in each group of `m` consecutive elements along a row, prune the m − n
  /// lowest scores (the lower index first on ties).
  public static func nOfMPruned(
    scores: [Float], rows: Int, columns: Int, keep n: Int, of m: Int
  ) -> [Bool] {
    precondition(m > 0 && n >= 0 && n <= m, "need 0 ≤ n ≤ m and m > 0")
    precondition(columns % m == 0, "columns must be a multiple of m")
    precondition(scores.count == rows * columns, "scores are not rows × columns")
    var pruned = [Bool](repeating: false, count: scores.count)
    for row in 0 ..< rows {
      for group in 0 ..< columns / m {
        let start = row * columns + group * m
        let groupScores = Array(scores[start ..< start + m])
        let groupPruned = ReferencePruning.prunedBySorting(groupScores, k: m - n)
        for offset in 0 ..< m where groupPruned[offset] { pruned[start + offset] = true }
      }
    }
    return pruned
  }

  /// Whether every group of `m` consecutive values along a row has at most `n` nonzero values
  /// (−0 counts as zero; NaN as nonzero).
  public static func satisfiesNOfM(
    values: [Float], rows: Int, columns: Int, keep n: Int, of m: Int
  ) -> Bool {
    precondition(m > 0 && columns % m == 0, "columns must be a multiple of m")
    precondition(values.count == rows * columns, "values are not rows × columns")
    for row in 0 ..< rows {
      for group in 0 ..< columns / m {
        let start = row * columns + group * m
        var nonzero = 0
        for offset in 0 ..< m where values[start + offset] != 0 { nonzero += 1 }
        if nonzero > n { return false }
      }
    }
    return true
  }

  // MARK: - Per row

  /// Per-row pruning: each row prunes its k lowest scores, where
  /// k = max(0, min(floor(sparsity × columns), columns − ceil(minNonzero / rows))).
  public static func perRowPruned(
    scores: [Float], rows: Int, columns: Int, sparsity: Double, minNonzero: Int
  ) -> [Bool] {
    precondition(scores.count == rows * columns, "scores are not rows × columns")
    guard rows > 0 else { return [] }
    let requested = Int((sparsity * Double(columns)).rounded(.down))
    let survivors = Int((Double(minNonzero) / Double(rows)).rounded(.up))
    let k = max(0, min(requested, columns - survivors))
    var pruned = [Bool]()
    pruned.reserveCapacity(scores.count)
    for row in 0 ..< rows {
      let rowScores = Array(scores[row * columns ..< (row + 1) * columns])
      pruned += ReferencePruning.prunedBySorting(rowScores, k: k)
    }
    return pruned
  }

  // MARK: - Blocks

  /// The number of block rows and block columns: ceil(rows / blockRows) and
  /// ceil(columns / blockColumns).
  public static func blockGrid(
    rows: Int, columns: Int, blockRows: Int, blockColumns: Int
  ) -> (rows: Int, columns: Int) {
    precondition(blockRows > 0 && blockColumns > 0, "blocks must be at least 1 × 1")
    return ((rows + blockRows - 1) / blockRows, (columns + blockColumns - 1) / blockColumns)
  }

  /// The index of the block holding element (row, column): bi × blockGridColumns + bj.
  public static func blockIndex(
    row: Int, column: Int, columns: Int, blockRows: Int, blockColumns: Int
  ) -> Int {
    let gridColumns = (columns + blockColumns - 1) / blockColumns
    return (row / blockRows) * gridColumns + column / blockColumns
  }

  /// The element indices of each block, in block-index order (bi × grid columns + bj), each
  /// block's elements in row-major order. Blocks tile from the top-left; edge blocks are
  /// smaller.
  public static func blockElements(
    rows: Int, columns: Int, blockRows: Int, blockColumns: Int
  ) -> [[Int]] {
    let grid = blockGrid(
      rows: rows, columns: columns, blockRows: blockRows, blockColumns: blockColumns)
    var blocks = [[Int]]()
    for bi in 0 ..< grid.rows {
      for bj in 0 ..< grid.columns {
        var elements = [Int]()
        for row in bi * blockRows ..< min(rows, (bi + 1) * blockRows) {
          for column in bj * blockColumns ..< min(columns, (bj + 1) * blockColumns) {
            elements.append(row * columns + column)
          }
        }
        blocks.append(elements)
      }
    }
    return blocks
  }

  /// One score per block, in block-index order: the mean (Double sum over the element
  /// count, rounded to `Float`) or the max of the block's element scores.
  public static func blockScores(
    elementScores: [Float], rows: Int, columns: Int, blockRows: Int, blockColumns: Int,
    pooling: ReferenceBlockPooling
  ) -> [Float] {
    precondition(elementScores.count == rows * columns, "scores are not rows × columns")
    let blocks = blockElements(
      rows: rows, columns: columns, blockRows: blockRows, blockColumns: blockColumns)
    return blocks.map { elements in
      switch pooling {
      case .mean:
        let sum = elements.reduce(0.0) { $0 + Double(elementScores[$1]) }
        return Float(sum / Double(elements.count))
      case .max:
        var largest = -Float.infinity
        for index in elements where elementScores[index] > largest {
          largest = elementScores[index]
        }
        return largest
      }
    }
  }

  /// Block pruning: pool the element scores per block, prune the k lowest blocks (the lower
  /// block index first on ties), and expand to elements, where k = max(0,
  /// min(floor(sparsity × blockCount), blockCount − ceil(minNonzero / smallest block size))).
  public static func blockPruned(
    elementScores: [Float], rows: Int, columns: Int, blockRows: Int, blockColumns: Int,
    pooling: ReferenceBlockPooling, sparsity: Double, minNonzero: Int
  ) -> [Bool] {
    let blocks = blockElements(
      rows: rows, columns: columns, blockRows: blockRows, blockColumns: blockColumns)
    var pruned = [Bool](repeating: false, count: rows * columns)
    guard !blocks.isEmpty else { return pruned }
    let scores = blockScores(
      elementScores: elementScores, rows: rows, columns: columns, blockRows: blockRows,
      blockColumns: blockColumns, pooling: pooling)
    let smallest = blocks.reduce(Int.max) { min($0, $1.count) }
    let requested = Int((sparsity * Double(blocks.count)).rounded(.down))
    let survivors = Int((Double(minNonzero) / Double(smallest)).rounded(.up))
    let k = max(0, min(requested, blocks.count - survivors))
    let blockPruned = ReferencePruning.prunedBySorting(scores, k: k)
    for (block, elements) in blocks.enumerated() where blockPruned[block] {
      for index in elements { pruned[index] = true }
    }
    return pruned
  }

  // MARK: - Global

  /// Global pruning: one ranking over every tensor's element scores (tensor 0's first), ties
  /// broken by (tensor index, element index); k = max(0, min(floor(sparsity × total),
  /// total − minNonzero)). One mask per tensor.
  public static func globalPruned(
    scores: [[Float]], sparsity: Double, minNonzero: Int
  ) -> [[Bool]] {
    let all = scores.flatMap { $0 }
    let requested = Int((sparsity * Double(all.count)).rounded(.down))
    let k = max(0, min(requested, all.count - minNonzero))
    // The concatenation index orders exactly as (tensor index, element index).
    let flat = ReferencePruning.prunedBySorting(all, k: k)
    var masks = [[Bool]]()
    var start = 0
    for tensor in scores {
      masks.append(Array(flat[start ..< start + tensor.count]))
      start += tensor.count
    }
    return masks
  }

  // MARK: - Iterative

  /// How many units an iterative step leaves pruned, `z` already pruned: total →
  /// max(z, floor(s × units)); remaining → z + floor(s × (units − z)). No minNonzero cap.
  public static func iterativePrunedCount(
    units: Int, alreadyPruned z: Int, sparsity: Double, mode: ReferenceIterativeMode
  ) -> Int {
    switch mode {
    case .total:
      return max(z, Int((sparsity * Double(units)).rounded(.down)))
    case .remaining:
      return z + Int((sparsity * Double(units - z)).rounded(.down))
    }
  }

  /// One unstructured iterative step: the zeros already present (either sign) count as
  /// pruned and are pruned first; then the lowest scores among the nonzero weights (the lower
  /// index first on ties) until `iterativePrunedCount` units are pruned.
  public static func iterativePruned(
    weights: [Float], scores: [Float], sparsity: Double, mode: ReferenceIterativeMode
  ) -> [Bool] {
    precondition(weights.count == scores.count, "one score per weight")
    var pruned = weights.map { $0 == 0 }
    let z = pruned.reduce(0) { $0 + ($1 ? 1 : 0) }
    let target = iterativePrunedCount(
      units: weights.count, alreadyPruned: z, sparsity: sparsity, mode: mode)
    let more = max(0, min(target, weights.count) - z)
    let order = ReferencePruning.pruningOrder(scores).filter { weights[$0] != 0 }
    for index in order.prefix(more) { pruned[index] = true }
    return pruned
  }

  // MARK: - Schedule

  /// The cubic gradual schedule: p = clamp((step − start) / (end − start), 0, 1) (when
  /// end == start, p = step ≥ end ? 1 : 0), and s = final + (initial − final) × (1 − p)³.
  public static func gradualSparsity(
    step: Double, initial: Double, final: Double, start: Double, end: Double
  ) -> Double {
    let progress: Double
    if end == start {
      progress = step >= end ? 1 : 0
    } else {
      progress = min(1, max(0, (step - start) / (end - start)))
    }
    let remaining = 1 - progress
    return final + (initial - final) * (remaining * remaining * remaining)
  }

  // MARK: - Compaction and products

  /// The rows listed in `kept`, in that order, as a row-major `kept.count × columns` matrix.
  public static func keptRows(
    of weights: [Float], rows: Int, columns: Int, keeping kept: [Int]
  ) -> [Float] {
    precondition(weights.count == rows * columns, "weights are not rows × columns")
    var result = [Float]()
    result.reserveCapacity(kept.count * columns)
    for row in kept {
      precondition(row >= 0 && row < rows, "kept row out of range")
      for column in 0 ..< columns { result.append(weights[row * columns + column]) }
    }
    return result
  }

  /// The columns listed in `kept`, in that order, as a row-major `rows × kept.count` matrix.
  public static func keptColumns(
    of weights: [Float], rows: Int, columns: Int, keeping kept: [Int]
  ) -> [Float] {
    precondition(weights.count == rows * columns, "weights are not rows × columns")
    var result = [Float]()
    result.reserveCapacity(rows * kept.count)
    for row in 0 ..< rows {
      for column in kept {
        precondition(column >= 0 && column < columns, "kept column out of range")
        result.append(weights[row * columns + column])
      }
    }
    return result
  }

  /// y = W x in Double: y_i = Σ_j Double(w_ij) · x_j, summed in column order.
  public static func matrixVector(
    _ weights: [Float], rows: Int, columns: Int, _ x: [Double]
  ) -> [Double] {
    precondition(weights.count == rows * columns, "weights are not rows × columns")
    precondition(x.count == columns, "x needs one entry per column")
    return (0 ..< rows).map { row in
      var sum: Double = 0
      for column in 0 ..< columns { sum += Double(weights[row * columns + column]) * x[column] }
      return sum
    }
  }
}
