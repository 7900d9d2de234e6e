# 같은 2계층 ReLU 신경망을 자동미분(autograd)으로 학습하는 스크립트.
# 역전파를 직접 구현하는 대신 loss.backward()가 w1, w2에 대한 변화도를 계산한다.
import ember as torch

torch.manual_seed(0)  # 실행할 때마다 같은 결과가 나오도록 시드를 고정

dtype = torch.float
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

# N은 배치 크기이며, D_in은 입력의 차원입니다;
# H는 은닉층의 차원이며, D_out은 출력 차원입니다.
N, D_in, H, D_out = 64, 1000, 100, 10

# 무작위의 입력과 출력 데이터를 생성합니다.
# 입력과 정답에 대한 변화도는 필요 없으므로 requires_grad=False (기본값)
x = torch.randn(N, D_in, device=device, dtype=dtype)
y = torch.randn(N, D_out, device=device, dtype=dtype)

# 무작위로 가중치를 초기화합니다.
# requires_grad=True: 역전파 단계에서 이 Tensor들에 대한 변화도를 계산한다
w1 = torch.randn(D_in, H, device=device, dtype=dtype, requires_grad=True)
w2 = torch.randn(H, D_out, device=device, dtype=dtype, requires_grad=True)

learning_rate = 1e-6
for t in range(500):
    # 순전파 단계: Tensor 연산으로 예측값 y를 계산합니다.
    # 역전파는 직접 구현하지 않으므로 중간값(h, h_relu)을 따로 저장할 필요가 없다.
    y_pred = x.mm(w1).clamp(min=0).mm(w2)

    # 손실을 계산하고 출력합니다. loss는 원소가 하나인 Tensor이고, .item()으로 파이썬 숫자를 얻는다.
    loss = (y_pred - y).pow(2).sum()
    if t == 0:
        first_loss = loss.item()
    if t == 0 or t % 100 == 99:
        print(t, "번째 학습결과 : ", loss.item())

    # 자동미분으로 역전파: requires_grad=True인 모든 Tensor에 대한 손실의 변화도를 계산하여
    # w1.grad, w2.grad에 저장한다.
    loss.backward()

    # 경사하강법으로 가중치를 갱신합니다. 갱신 자체는 연산 그래프에 기록되면 안 되므로
    # torch.no_grad() 안에서 수행한다.
    with torch.no_grad():
        w1 -= learning_rate * w1.grad
        w2 -= learning_rate * w2.grad

        # 변화도는 누적되므로 갱신 후 0으로 만든다.
        w1.grad.zero_()
        w2.grad.zero_()

last_loss = loss.item()
print("처음 손실 :", first_loss, "-> 마지막 손실 :", last_loss, "(%.3g배 감소)" % (first_loss / last_loss))
