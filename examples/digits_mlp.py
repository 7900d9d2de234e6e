"""Train an MLP on scikit-learn's bundled 8x8 handwritten digits with ember.

scikit-learn의 8x8 손글씨 숫자 데이터(1797장)로 다층 퍼셉트론(MLP)을 학습한다.

    make digits                                  # or:
    python examples/digits_mlp.py --epochs 60 --out examples/output/digits_curves.png

It uses the everyday PyTorch pieces unchanged: ``nn.Sequential``, ``nn.CrossEntropyLoss``,
``optim.AdamW`` with a ``lr_scheduler``, ``TensorDataset`` + ``DataLoader``, ``model.train()`` /
``model.eval()``, ``torch.no_grad()`` and ``torch.save``. A tqdm bar shows progress; loss and
accuracy curves are saved as a PNG (matplotlib, Agg backend: no display needed).
일상적인 PyTorch 코드 그대로: 모델, 손실, 옵티마이저, 데이터로더, 학습/평가 모드, 저장.
"""
import argparse
import os
import sys

import matplotlib

matplotlib.use("Agg")  # 화면 없이 파일로만 그린다 (draw to a file, no display)
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from tqdm import tqdm  # noqa: E402

import ember as torch  # noqa: E402
from ember import nn  # noqa: E402
from ember.utils.data import DataLoader, TensorDataset  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=60)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=os.path.join("examples", "output", "digits_curves.png"),
                   help="where to save the loss/accuracy curves (PNG)")
    p.add_argument("--save", default=None, help="also save the trained weights here (ember.save)")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--no-progress", action="store_true", help="hide the tqdm progress bar")
    return p.parse_args(argv)


def load_data(seed):
    """Digits as float32 features scaled to [0, 1] and int64 labels, split 80/20 (stratified)."""
    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)  # 픽셀 값은 0..16
    y = digits.target.astype(np.int64)
    return train_test_split(x, y, test_size=0.2, random_state=seed, stratify=y)


def evaluate(model, loader, loss_fn, device):
    """Mean loss and accuracy of ``model`` over ``loader``, without building a graph."""
    model.eval()
    total_loss, correct, count = 0.0, 0, 0
    with torch.no_grad():
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            logits = model(xb)
            total_loss += loss_fn(logits, yb).item() * len(yb)
            correct += (logits.argmax(dim=1) == yb).sum().item()
            count += len(yb)
    return total_loss / count, correct / count


def main(argv=None):
    args = parse_args(argv)
    torch.manual_seed(args.seed)
    device = torch.device(args.device)

    x_train, x_test, y_train, y_test = load_data(args.seed)
    train_set = TensorDataset(torch.from_numpy(x_train), torch.from_numpy(y_train))
    test_set = TensorDataset(torch.from_numpy(x_test), torch.from_numpy(y_test))
    generator = torch.Generator().manual_seed(args.seed)  # 섞는 순서를 재현 가능하게
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, generator=generator)
    test_loader = DataLoader(test_set, batch_size=256)

    model = nn.Sequential(
        nn.Linear(64, 256),
        nn.ReLU(),
        nn.Dropout(0.3),
        nn.Linear(256, 256),
        nn.ReLU(),
        nn.Dropout(0.3),
        nn.Linear(256, 10),
    ).to(device)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-2)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)

    history = {"train_loss": [], "test_loss": [], "test_acc": []}
    bar = tqdm(range(1, args.epochs + 1), desc="digits", unit="epoch", disable=args.no_progress,
               file=sys.stdout)
    for epoch in bar:
        model.train()
        running, seen = 0.0, 0
        for xb, yb in train_loader:
            xb, yb = xb.to(device), yb.to(device)
            loss = loss_fn(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            running += loss.item() * len(yb)
            seen += len(yb)
        scheduler.step()
        test_loss, test_acc = evaluate(model, test_loader, loss_fn, device)
        history["train_loss"].append(running / seen)
        history["test_loss"].append(test_loss)
        history["test_acc"].append(test_acc)
        bar.set_postfix(loss=f"{running / seen:.4f}", test_acc=f"{test_acc:.4f}")
    bar.close()

    save_curves(history, args.out)
    if args.save:
        torch.save(model.state_dict(), args.save)
    print(f"test accuracy: {history['test_acc'][-1]:.4f} ({len(y_test)} images)")
    print(f"curves saved to {args.out}")
    return history


def save_curves(history, path):
    """Loss (train and test) and test accuracy per epoch, side by side, as a PNG."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    epochs = range(1, len(history["train_loss"]) + 1)
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    ax_loss.plot(epochs, history["train_loss"], label="train")
    ax_loss.plot(epochs, history["test_loss"], label="test")
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("cross-entropy loss")
    ax_loss.set_yscale("log")
    ax_loss.legend()
    ax_acc.plot(epochs, history["test_acc"], color="tab:green")
    ax_acc.set_xlabel("epoch")
    ax_acc.set_ylabel("test accuracy")
    ax_acc.set_ylim(0.8, 1.0)
    fig.suptitle("ember MLP on sklearn digits (8x8)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


if __name__ == "__main__":
    main()
