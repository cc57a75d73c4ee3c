// swift-tools-version:6.0
import PackageDescription

let package = Package(
  name: "Bonsai",
  products: [
    .library(name: "Pruning", targets: ["Pruning"]),
    .library(name: "SafeTensors", targets: ["SafeTensors"]),
    .executable(name: "bonsai", targets: ["bonsai"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
  ],
  targets: [
    .systemLibrary(
      name: "COpenBLAS",
      path: "Modules/COpenBLAS",
      pkgConfig: "openblas",
      providers: [.apt(["libopenblas-dev"])]
    ),
    .target(name: "CPruningKernels"),
    .target(name: "Pruning", dependencies: ["COpenBLAS", "CPruningKernels"]),
    .target(name: "SafeTensors"),
    .target(name: "CSignalCleanup"),
    .executableTarget(
      name: "bonsai",
      dependencies: [
        "Pruning",
        "SafeTensors",
        "CSignalCleanup",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    .executableTarget(name: "BonsaiBenchmarks", dependencies: ["Pruning"]),
    .target(name: "TestSupport", path: "Sources/TestSupport"),
    .testTarget(name: "PruningTests", dependencies: ["Pruning", "CPruningKernels", "TestSupport"]),
    .testTarget(name: "SafeTensorsTests", dependencies: ["SafeTensors", "TestSupport"]),
    .testTarget(name: "BonsaiCLITests", dependencies: ["bonsai", "SafeTensors", "TestSupport"]),
  ],
  swiftLanguageModes: [.v6]
)
